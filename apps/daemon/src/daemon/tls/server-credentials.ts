import { createSecureContext } from 'node:tls';
import type { TLSCredentials, TLSTransportServerOptions } from '@evergreen/tls';
import type { ServerTlsSpec } from '../../protocol/tls-spec.js';
import { DaemonError } from '../daemon-error.js';
import { certificateFacts, expiresSoon, type CertificateFacts } from './certificate-facts.js';
import { readPemFiles } from './pem-files.js';

type CredentialFile = 'cert' | 'key' | 'ca';

/**
 * The credentials of a `tls://` server as read from the files of its `tls`
 * block at one moment: the PEM, the digest of the files, the facts of the
 * certificate, and what an operator should be warned of. A reload reads a
 * new one and compares digests.
 */
export class ServerCredentials {
  /** The PEM as `TLSServer#setCredentials` takes it. */
  readonly credentials: TLSCredentials;
  /** SHA-256 over the files' paths and bytes. */
  readonly hash: string;
  /** The certificate presented. */
  readonly certificate: CertificateFacts;
  /** Warnings for the log: a private key readable by others, a certificate about to expire. */
  readonly warnings: readonly string[];

  private constructor(credentials: TLSCredentials, hash: string, certificate: CertificateFacts, warnings: string[]) {
    this.credentials = credentials;
    this.hash = hash;
    this.certificate = certificate;
    this.warnings = warnings;
  }

  /**
   * Reads and checks the files of `tls` (relative paths against `baseDir`);
   * `action` starts error messages.
   * Rejects with `DaemonError` `invalid` naming the entry (`tls.cert`,
   * `tls.key`, `tls.ca`) when a file cannot be read, holds no certificate,
   * or when the key does not match the certificate. Cost: the reads, one
   * X.509 parse, one or two `createSecureContext`s.
   */
  static async read(tls: ServerTlsSpec, baseDir: string, action: string): Promise<ServerCredentials> {
    const files = await readPemFiles<CredentialFile>({ cert: tls.cert, key: tls.key, ca: tls.ca }, baseDir, 'tls', action, ['key']);
    const invalid = (entry: CredentialFile, value: string, expected: string, error: unknown): DaemonError =>
      new DaemonError('invalid', `${action}: tls.${entry} "${value}" is not usable: ${(error as Error).message}`, { path: `tls.${entry}`, value, expected }, { cause: error });
    const { cert, key, ca } = files.contents;
    let certificate: CertificateFacts;
    try {
      certificate = certificateFacts(cert);
    } catch (error) {
      throw invalid('cert', tls.cert, 'a PEM certificate chain, leaf first', error);
    }
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      throw invalid('key', tls.key, 'the private key of tls.cert, unencrypted PEM', error);
    }
    if (ca !== undefined) {
      try {
        createSecureContext({ ca });
      } catch (error) {
        throw invalid('ca', tls.ca!, 'PEM CA certificates', error);
      }
    }
    const credentials: TLSCredentials = ca === undefined ? { cert, key } : { cert, key, ca };
    const warnings = files.exposedKeys.map((file) => `the private key ${file} is readable by group or others: chmod 600 it`);
    if (expiresSoon(certificate)) {
      const when = new Date(certificate.notAfter).toISOString();
      warnings.push(certificate.daysLeft < 0 ? `the certificate expired on ${when}` : `the certificate expires in ${certificate.daysLeft} days (${when})`);
    }
    return new ServerCredentials(credentials, files.hash, certificate, warnings);
  }

  /** The `TLSServer` options of `tls` with these credentials. */
  serverOptions(tls: ServerTlsSpec): TLSTransportServerOptions {
    const options: TLSTransportServerOptions = { ...this.credentials };
    if (tls.clientAuth !== undefined) options.clientAuth = tls.clientAuth;
    if (tls.allow !== undefined) options.allow = tls.allow;
    if (tls.alpn !== undefined) options.alpnProtocols = tls.alpn;
    if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
    if (tls.handshakeTimeoutMs !== undefined) options.handshakeTimeoutMs = tls.handshakeTimeoutMs;
    return options;
  }
}
