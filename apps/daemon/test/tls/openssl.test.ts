import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { killOpenSSL, makeCertificates, openssl, opensslVersion, sServer, type TestCertificates } from '@evergreen/tls/testing';
import { cleanUp, connectTo, targetOf } from '../daemon-process.js';
import { daemonFromConfig, sandboxWithCertificates } from './config-sandbox.js';

afterEach(async () => {
  killOpenSSL();
  await cleanUp();
});

describe.skipIf(opensslVersion === undefined)(`evergreend and a TLS peer nobody here wrote: ${opensslVersion ?? 'openssl missing'}`, () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  describe('openssl s_client against a tls:// server started from a config (paths relative to the config file)', () => {
    const echoServer = { name: 'echo', listen: 'tls://127.0.0.1:0', handler: { type: 'echo' }, tls: { cert: 'certs/server.crt', key: 'certs/server.key', ca: 'certs/ca.crt', clientAuth: 'optional', alpn: ['h2', 'http/1.1'] } };

    it.each(['-tls1_2', '-tls1_3'])('echoes over %s with SNI and ALPN; the connection record names the client certificate, ALPN and version', async (version) => {
      const sandbox = await sandboxWithCertificates(certs);
      const { uris, control } = await daemonFromConfig(sandbox, { servers: [echoServer] });
      const { port } = targetOf(uris[0]!.replace('tls:', 'tcp:')) as { port: number };
      const peer = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.certPath, '-servername', 'localhost', '-alpn', 'h2',
        '-cert', certs.alice.certPath, '-key', certs.alice.keyPath, '-verify_return_error', '-quiet', version]);
      peer.child.stdin!.write('hello from openssl\n');
      await until(() => peer.output().includes('hello from openssl') || peer.exited(), 'the echo');
      expect(peer.output()).toContain('hello from openssl');
      const { items } = await control.listConnections();
      expect(items).toHaveLength(1);
      expect(items[0]!.tls).toEqual({ peer: 'alice', alpn: 'h2', version: version === '-tls1_2' ? 'TLSv1.2' : 'TLSv1.3', resumed: false });
      const [server] = await control.listServers();
      expect(server!.tls?.certificate).toMatchObject({ subject: 'CN=server', issuer: 'CN=ca', subjectAltNames: ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'] });
      // The test certificates are valid for 2 days from their making.
      expect(server!.tls!.certificate.daysLeft).toBe(1);
      expect(server!.tls!.certificate.notAfter - Date.now()).toBeGreaterThan(86_400_000);
      expect((await control.stats()).servers.echo!.tls).toMatchObject({ ok: 1, resumed: 0, inProgress: 0, failed: {}, meanHandshakeMs: expect.any(Number) });
      control.close();
    });

    it('refuses renegotiation (R): the connection ends, nothing is echoed after it', async () => {
      const sandbox = await sandboxWithCertificates(certs);
      const { uris, control } = await daemonFromConfig(sandbox, { servers: [echoServer] });
      const { port } = targetOf(uris[0]!.replace('tls:', 'tcp:')) as { port: number };
      // Not -quiet: s_client takes "R" as a command only then.
      const peer = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.certPath, '-servername', 'localhost', '-tls1_2']);
      peer.child.stdin!.write('before\n');
      await until(() => peer.output().includes('before\n') || peer.exited(), 'the first echo');
      peer.child.stdin!.write('R\n');
      await expect.poll(async () => peer.exited() || (await control.listConnections()).total === 0).toBe(true);
      if (!peer.exited()) peer.child.stdin!.write('after\n');
      await expect.poll(async () => (await control.listConnections()).total).toBe(0);
      expect(peer.output()).not.toContain('after\n');
      control.close();
    });
  });

  describe('openssl s_server as the target of a forward', () => {
    const forward = (port: number, host: string, tls: object) => ({
      servers: [{ name: 'origin', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tls://${host}:${port}`, tls } }],
    });

    it('originates TLS to it, verified by the configured CA', async () => {
      const { port } = await sServer(['-cert', certs.server.certPath, '-key', certs.server.keyPath]);
      const sandbox = await sandboxWithCertificates(certs);
      const { uris } = await daemonFromConfig(sandbox, forward(port, 'localhost', { ca: 'certs/ca.crt' }));
      const client = await connectTo(targetOf(uris[0]!));
      expect((await client.roundTrip('hello\n')).toString()).toBe('olleh\n');
      client.close();
    });

    it('presents the configured client certificate to an upstream that requires one (mTLS)', async () => {
      const { port, peer } = await sServer(['-cert', certs.server.certPath, '-key', certs.server.keyPath, '-Verify', '1', '-CAfile', certs.ca.certPath, '-verify_return_error']);
      const sandbox = await sandboxWithCertificates(certs);
      const { uris } = await daemonFromConfig(sandbox, forward(port, 'localhost', { ca: 'certs/ca.crt', cert: 'certs/alice.crt', key: 'certs/alice.key' }));
      const client = await connectTo(targetOf(uris[0]!));
      expect((await client.roundTrip('mutual\n')).toString()).toBe('lautum\n');
      expect(peer.output()).toContain('Peer certificate: CN = alice');
      client.close();
    });

    it('refuses an upstream whose certificate does not carry the name asked for: hostname-mismatch, the client reset, nothing relayed', async () => {
      const { port, peer } = await sServer(['-cert', certs.server.certPath, '-key', certs.server.keyPath]);
      const sandbox = await sandboxWithCertificates(certs);
      const { daemon, uris } = await daemonFromConfig(sandbox, forward(port, '127.0.0.1', { ca: 'certs/ca.crt', servername: 'api.example.com' }));
      const client = await connectTo(targetOf(uris[0]!));
      const answer = await client.roundTrip('secret\n').then((bytes) => bytes.toString(), (error: NodeJS.ErrnoException) => error.code);
      expect(answer).not.toBe('terces\n');
      const failure = await daemon.waitForLog('handler failed: its connection is closed');
      expect(failure.err).toMatchObject({ reason: 'hostname-mismatch' });
      expect(peer.output()).not.toContain('secret');
      client.close();
    });
  });
});
