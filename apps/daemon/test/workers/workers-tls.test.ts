import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { killOpenSSL, makeCertificates, openssl, opensslVersion, type TestCertificates } from '@evergreen/tls/testing';
import { cleanUp, targetOf } from '../daemon-process.js';
import { daemonFromConfig, sandboxWithCertificates } from '../tls/config-sandbox.js';

afterEach(async () => {
  killOpenSSL();
  await cleanUp();
});

/** More handshakes than workers: round-robin takes them to every worker. */
const HANDSHAKES = 4;

/** The CN of the certificate `uri` presents to `openssl s_client` (verifying it as "localhost"), once a line came back. */
async function presentedName(uri: string, caPath: string): Promise<string> {
  const { port } = targetOf(uri.replace('tls:', 'tcp:')) as { port: number };
  const peer = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', caPath, '-servername', 'localhost', '-verify_return_error']);
  peer.child.stdin!.write('ping\n');
  await until(() => /^ping$/m.test(peer.output()) || peer.exited(), 'the echo');
  peer.child.kill('SIGKILL');
  const name = /^subject=.*CN ?= ?([^,\n]+)/m.exec(peer.output())?.[1];
  if (name === undefined || !/^ping$/m.test(peer.output())) throw new Error(`openssl s_client got no certificate or no echo:\n${peer.output()}`);
  return name.trim();
}

/** The names `uri` presents to `HANDSHAKES` new clients one after another. */
async function presentedNames(uri: string, caPath: string): Promise<string[]> {
  const names: string[] = [];
  for (let index = 0; index < HANDSHAKES; index += 1) names.push(await presentedName(uri, caPath));
  return names;
}

describe.skipIf(opensslVersion === undefined)(`a tls:// server with workers, and openssl s_client: ${opensslVersion ?? 'openssl missing'}`, () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  it('tls.reload and SIGHUP reach every worker; servers.list shows the certificate and stats sum the handshakes; a bad key keeps the old everywhere', async () => {
    const sandbox = await sandboxWithCertificates(certs);
    const api = { name: 'api', listen: 'tls://127.0.0.1:0', handler: { type: 'echo' }, tls: { cert: 'certs/server.crt', key: 'certs/server.key' } };
    const { daemon, uris, control } = await daemonFromConfig(sandbox, { workers: 2, servers: [api] });
    try {
      const uri = uris[0]!;
      expect(await presentedNames(uri, certs.ca.certPath)).toEqual(Array(HANDSHAKES).fill('server'));
      const [{ tls: first }] = await control.listServers();
      expect(first!.certificate.subject).toBe('CN=server');

      await copyFile(join(sandbox.dir, 'certs', 'server-renewed.crt'), join(sandbox.dir, 'certs', 'server.crt'));
      await copyFile(join(sandbox.dir, 'certs', 'server-renewed.key'), join(sandbox.dir, 'certs', 'server.key'));
      const reloaded = await control.reloadTls('api');
      expect(reloaded).toEqual({ servers: [{ name: 'api', credentials: 'server', status: 'reloaded', hash: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
      expect(await presentedNames(uri, certs.ca.certPath)).toEqual(Array(HANDSHAKES).fill('server-renewed'));
      const [{ tls: second }] = await control.listServers();
      expect(second).toMatchObject({ certificate: { subject: 'CN=server-renewed' }, hash: reloaded.servers[0]!.hash });
      expect((await control.stats()).servers.api!.tls).toMatchObject({ ok: 2 * HANDSHAKES, inProgress: 0, meanHandshakeMs: expect.any(Number) });

      daemon.signal('SIGHUP');
      const { report } = await daemon.waitForLog('SIGHUP: config reloaded');
      expect(report).toMatchObject({ unchanged: ['api'], tls: [{ name: 'api', credentials: 'server', status: 'unchanged', hash: second!.hash }] });

      await copyFile(join(sandbox.dir, 'certs', 'alice.key'), join(sandbox.dir, 'certs', 'server.key'));
      expect(await control.reloadTls()).toEqual({ servers: [{ name: 'api', credentials: 'server', status: 'failed', hash: second!.hash, message: expect.stringContaining('tls.key') }] });
      expect(await presentedNames(uri, certs.ca.certPath)).toEqual(Array(HANDSHAKES).fill('server-renewed'));
    } finally {
      control.close();
    }
  });
});
