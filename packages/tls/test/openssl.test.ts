import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { TLSError, type TLSConnection } from '../src/index.js';
import { killOpenSSL, makeCertificates, openssl, opensslVersion, type OpenSSLProcess, type TestCertificates } from '../src/testing/index.js';
import { client, echo, echoServer } from './helpers.js';

describe.skipIf(opensslVersion === undefined)(`a real peer nobody here wrote: ${opensslVersion ?? 'openssl missing'}`, () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());
  // Every process a test started ends with it, by pid, however the test ended.
  afterEach(killOpenSSL);

  describe('openssl s_client against a TLSServer', () => {
    it.each(['-tls1_2', '-tls1_3'])('echoes over %s, with SNI and ALPN', async (version) => {
      const { server, port, accepted } = await echoServer(certs, { alpnProtocols: ['h2', 'http/1.1'] });
      try {
        const peer = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.certPath, '-servername', 'localhost', '-alpn', 'h2', '-verify_return_error', '-quiet', version]);
        peer.child.stdin!.write('hello from openssl\n');
        await until(() => peer.output().includes('hello from openssl'), 'the echo');
        const conn: TLSConnection = accepted[0];
        expect(conn.protocol).toBe(version === '-tls1_2' ? 'TLSv1.2' : 'TLSv1.3');
        expect(conn.servername).toBe('localhost');
        expect(conn.alpnProtocol).toBe('h2');
      } finally {
        await server.close();
      }
    });

    it('refuses renegotiation (R): the connection ends, nothing is echoed after it', async () => {
      const handlerErrors: unknown[] = [];
      const { server, port } = await echoServer(certs, { onError: (error) => handlerErrors.push(error) });
      try {
        // Not -quiet: s_client takes "R" as a command only then.
        const peer = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.certPath, '-servername', 'localhost', '-tls1_2']);
        peer.child.stdin!.write('before\n');
        await until(() => peer.output().includes('before\n'), 'the first echo');
        peer.child.stdin!.write('R\n');
        await until(() => peer.exited() || handlerErrors.length > 0 || server.connections.size === 0, 'the renegotiation to be refused');
        if (!peer.exited()) peer.child.stdin!.write('after\n');
        await until(() => server.connections.size === 0, 'the connection to end');
        expect(peer.output()).not.toContain('after\n');
      } finally {
        await server.close();
      }
    });

    it('a client without a certificate, on a server that requires one: no-client-cert', async () => {
      const { server, port, failures } = await echoServer(certs, { clientAuth: 'require' });
      try {
        const peer = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', certs.ca.certPath, '-quiet']);
        peer.child.stdin!.write('x\n');
        await until(() => failures.length === 1, 'the refusal');
        expect(failures[0].error.reason).toBe('no-client-cert');
      } finally {
        await server.close();
      }
    });
  });

  describe('a TLSClient against openssl s_server', () => {
    /** Starts `openssl s_server -rev` (echoes each line reversed) on a free port, resolves the port. */
    async function sServer(extra: string[]): Promise<{ port: number; peer: OpenSSLProcess }> {
      const peer = openssl(['s_server', '-accept', '127.0.0.1:0', '-cert', certs.server.certPath, '-key', certs.server.keyPath, '-rev', ...extra]);
      await until(() => /ACCEPT .*:(\d+)/.test(peer.output()), 's_server to listen');
      return { port: Number(/ACCEPT .*:(\d+)/.exec(peer.output())![1]), peer };
    }

    it('verifies it and talks mTLS with a client certificate', async () => {
      const { port } = await sServer(['-Verify', '1', '-CAfile', certs.ca.certPath]);
      const c = client(certs, { key: certs.alice.key, cert: certs.alice.cert });
      try {
        await c.connect({ host: 'localhost', port });
        expect(c.authorized).toBe(true);
        expect(c.peerCertificate?.commonNames).toEqual(['server']);
        expect(await echo(c, 'hello\n')).toBe('olleh\n');
      } finally {
        c.close();
      }
    });

    it('refuses it when its certificate does not name the host: hostname-mismatch', async () => {
      const { port } = await sServer([]);
      const c = client(certs, { servername: 'api.example.com' });
      const error = await c.connect({ host: '127.0.0.1', port }).then(() => undefined, (e: unknown) => e);
      c.close();
      expect(error).toBeInstanceOf(TLSError);
      expect((error as TLSError).reason).toBe('hostname-mismatch');
    });

    it('with TLS 1.3, its refusal of a client without a certificate arrives on the first read: no-client-cert', async () => {
      const { port } = await sServer(['-Verify', '1', '-CAfile', certs.ca.certPath, '-tls1_3']);
      const c = client(certs);
      try {
        await c.connect({ host: 'localhost', port });
        c.write('hello\n');
        const error = await c.readUntil('\n').then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(TLSError);
        expect((error as TLSError).reason).toBe('no-client-cert');
      } finally {
        c.close();
      }
    });
  });
});
