import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether the `openssl` CLI is here (it makes the certificates, and plays the peer nobody here wrote). */
export const opensslVersion: string | undefined = (() => {
  const result = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
})();

if (opensslVersion === undefined) console.warn('openssl is not installed: the TLS tests that need certificates or an OpenSSL peer are skipped');

/** A key and its certificate, as PEM, and where they are on disk (for `openssl`). */
export interface Identity {
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

/** Everything the tests present or trust, made fresh for each test file. */
export interface TestCertificates {
  directory: string;
  /** The CA every identity below but `stranger` is signed by. */
  ca: Identity;
  /** Another CA nobody trusts. */
  otherCA: Identity;
  /** CN=server, SANs DNS:localhost, IP:127.0.0.1, IP:::1. */
  server: Identity;
  /** A second server certificate from the same CA (CN=server-renewed), same SANs: what a reload swaps in. */
  renewedServer: Identity;
  /** CN=alice, URI SAN spiffe://corp/ns/billing/sa/api. */
  alice: Identity;
  /** CN=mallory, URI SAN spiffe://corp/ns/other/sa/web, DNS SAN mallory.corp: valid, from the same CA. */
  mallory: Identity;
  /** CN=stranger, signed by `otherCA`. */
  stranger: Identity;
  /** CN=expired, same SANs as `server`, valid only in January 2020. */
  expired: Identity;
  /** Removes the directory. */
  remove(): void;
}

const CA_CONFIG = `[ca]
default_ca = ca_default
[ca_default]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
`;

/** Makes the certificates of {@link TestCertificates} with the `openssl` CLI (P-256 keys: fast). */
export function makeCertificates(): TestCertificates {
  const directory = mkdtempSync(join(tmpdir(), 'evergreen-tls-'));
  const openssl = (...args: string[]): void => {
    const result = spawnSync('openssl', args, { cwd: directory, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  };
  const identity = (name: string): Identity => {
    const keyPath = join(directory, `${name}.key`);
    const certPath = join(directory, `${name}.crt`);
    return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), keyPath, certPath };
  };
  const ca = (name: string): Identity => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`,
      '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    return identity(name);
  };
  const leaf = (name: string, issuer: string, altNames: string, dates?: [string, string]): Identity => {
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(directory, `${name}.ext`), `basicConstraints=CA:FALSE\nsubjectAltName=${altNames}\n`);
    if (dates === undefined) {
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
    } else {
      // `openssl ca` is the CLI's one way to set dates in the past, on OpenSSL 3.0 as on 3.5.
      writeFileSync(join(directory, 'ca.cnf'), CA_CONFIG);
      writeFileSync(join(directory, 'index.txt'), '');
      writeFileSync(join(directory, 'serial'), '1000\n');
      openssl('ca', '-batch', '-config', 'ca.cnf', '-cert', `${issuer}.crt`, '-keyfile', `${issuer}.key`, '-in', `${name}.csr`, '-out', `${name}.crt`,
        '-startdate', dates[0], '-enddate', dates[1], '-extfile', `${name}.ext`, '-notext');
    }
    return identity(name);
  };
  const serverNames = 'DNS:localhost,IP:127.0.0.1,IP:::1';
  return {
    directory,
    ca: ca('ca'),
    otherCA: ca('other-ca'),
    server: leaf('server', 'ca', serverNames),
    renewedServer: leaf('server-renewed', 'ca', serverNames),
    alice: leaf('alice', 'ca', 'URI:spiffe://corp/ns/billing/sa/api'),
    mallory: leaf('mallory', 'ca', 'URI:spiffe://corp/ns/other/sa/web,DNS:mallory.corp'),
    stranger: leaf('stranger', 'other-ca', 'DNS:stranger.corp'),
    expired: leaf('expired', 'ca', serverNames, ['20200101000000Z', '20200102000000Z']),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
