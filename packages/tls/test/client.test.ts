import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { TLSError } from '../src/index.js';
import { makeCertificates, opensslVersion, type TestCertificates } from '../src/testing/index.js';
import { client, connectError, echo, echoServer, plainServer } from './helpers.js';

describe.skipIf(opensslVersion === undefined)('TLSClient', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());

  it('connects only once the server is verified, and tells the session facts', async () => {
    const { server, port } = await echoServer(certs, { alpnProtocols: ['h2', 'http/1.1'] });
    const c = client(certs, { alpnProtocols: ['http/1.1'] });
    try {
      expect(c.authorized).toBe(false);
      expect(c.protocol).toBe(null);
      await c.connect({ host: 'localhost', port });
      expect(c.authorized).toBe(true);
      expect(c.authorizationError).toBe(null);
      expect(c.protocol).toBe('TLSv1.3');
      expect(c.cipher?.name).toMatch(/^TLS_/);
      expect(c.alpnProtocol).toBe('http/1.1');
      expect(c.sessionReused).toBe(false);
      const cert = c.peerCertificate!;
      expect(cert.commonNames).toEqual(['server']);
      expect(cert.dnsNames).toEqual(['localhost']);
      expect(cert.ipAddresses).toContain('127.0.0.1');
      expect(cert.uris).toEqual([]);
      expect(cert.issuerCommonName).toBe('ca');
      expect(cert.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(cert.notAfter.getTime()).toBeGreaterThan(Date.now());
      expect(await echo(c)).toBe('ping\n');
      expect(c.peername).toMatchObject({ address: '127.0.0.1', port });
      expect(c.sockname.address).toBe('127.0.0.1');
    } finally {
      c.close();
      await server.close();
    }
  });

  it('sends the host as SNI when it is a DNS name, and no SNI for an IP address', async () => {
    const { server, port, accepted } = await echoServer(certs);
    try {
      const byName = client(certs);
      await byName.connect({ host: 'localhost', port });
      await echo(byName);
      const byAddress = client(certs);
      await byAddress.connect({ host: '127.0.0.1', port });
      await echo(byAddress);
      expect(accepted.map((conn) => conn.servername)).toEqual(['localhost', null]);
      // The IP is verified against the certificate's IP SANs instead.
      expect(byAddress.authorized).toBe(true);
      byName.close();
      byAddress.close();
    } finally {
      await server.close();
    }
  });

  it('refuses a server whose certificate does not chain to its CAs: untrusted', async () => {
    const { server, port } = await echoServer(certs);
    try {
      const error = await connectError(client(certs, { ca: certs.otherCA.cert }), 'localhost', port);
      expect(error).toBeInstanceOf(TLSError);
      expect(error?.reason).toBe('untrusted');
    } finally {
      await server.close();
    }
  });

  it('refuses an expired server certificate: expired', async () => {
    const { server, port } = await echoServer(certs, { key: certs.expired.key, cert: certs.expired.cert });
    try {
      expect((await connectError(client(certs), 'localhost', port))?.reason).toBe('expired');
    } finally {
      await server.close();
    }
  });

  it('refuses a certificate that does not name the host: hostname-mismatch', async () => {
    const { server, port } = await echoServer(certs);
    try {
      expect((await connectError(client(certs, { servername: 'api.example.com' }), '127.0.0.1', port))?.reason).toBe('hostname-mismatch');
    } finally {
      await server.close();
    }
  });

  it('gets protocol-version when the two sides share no TLS version, alpn when they share no protocol', async () => {
    const { server, port, failures } = await echoServer(certs, { minVersion: 'TLSv1.3', alpnProtocols: ['h2'] });
    try {
      expect((await connectError(client(certs, { maxVersion: 'TLSv1.2' }), 'localhost', port))?.reason).toBe('protocol-version');
      expect((await connectError(client(certs, { alpnProtocols: ['http/1.1'] }), 'localhost', port))?.reason).toBe('alpn');
      await until(() => failures.length === 2, 'the server to report both');
      expect(failures.map((f) => f.error.reason)).toEqual(['protocol-version', 'alpn']);
    } finally {
      await server.close();
    }
  });

  it('gets not-tls from a peer that does not speak TLS', async () => {
    const plain = await plainServer();
    try {
      const error = await connectError(client(certs), '127.0.0.1', plain.port);
      expect(error?.reason).toBe('not-tls');
    } finally {
      plain.close();
    }
  });

  it('a refused connect (no TLS involved) has errno and code, and no reason', async () => {
    const plain = await plainServer();
    plain.close();
    const error = await connectError(client(certs), '127.0.0.1', plain.port);
    expect(error).toBeInstanceOf(TLSError);
    expect(error?.code).toBe('ECONNREFUSED');
    expect(error?.reason).toBeUndefined();
  });

  it('with TLS 1.3, a server that refuses our certificate shows up after connect(), on the first read', async () => {
    const { server, port, failures } = await echoServer(certs, { clientAuth: 'require', allow: { cn: ['alice'] }, maxVersion: 'TLSv1.3' });
    const c = client(certs, { key: certs.mallory.key, cert: certs.mallory.cert });
    try {
      await c.connect({ host: 'localhost', port });
      c.write('ping\n');
      const outcome = await c.readUntil('\n').then(
        (line) => line.length,
        (error: unknown) => error,
      );
      // End of stream (0 bytes) or a reset, never an echo.
      if (typeof outcome === 'number') expect(outcome).toBe(0);
      else expect(outcome).toBeInstanceOf(TLSError);
      await until(() => failures.length === 1, 'the server to report the refusal');
      expect(failures[0].error.reason).toBe('not-allowed');
    } finally {
      c.close();
      await server.close();
    }
  });

  it('reads through shared memory (onread): 8 MiB arrive without one data event', async () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 7);
    const { server, port } = await echoServer(certs);
    const c = client(certs);
    try {
      await c.connect({ host: 'localhost', port });
      let dataEvents = 0;
      const socket = (c as unknown as { _duplex: NodeJS.EventEmitter })._duplex;
      socket.on('data', () => dataEvents++);
      const received = c.readBytes(payload.length + 1);
      c.write(payload);
      c.write('\n');
      expect((await received).length).toBe(payload.length + 1);
      expect(dataEvents).toBe(0);
    } finally {
      c.close();
      await server.close();
    }
  });

  it('keeps the latest session, and a client given it resumes', async () => {
    const { server, port, accepted } = await echoServer(certs);
    try {
      const first = client(certs);
      await first.connect({ host: 'localhost', port });
      // TLS 1.3 sends its tickets after the handshake: they have come once data has.
      await echo(first);
      const session = first.session;
      expect(session).toBeInstanceOf(Buffer);
      first.close();
      const second = client(certs, { session: session! });
      await second.connect({ host: 'localhost', port });
      await echo(second);
      expect(second.sessionReused).toBe(true);
      expect(accepted[1].sessionReused).toBe(true);
      second.close();
    } finally {
      await server.close();
    }
  });

  it('throws TypeError/RangeError for options that are not ones', () => {
    expect(() => client(certs, { servername: '127.0.0.1' })).toThrow(TypeError);
    expect(() => client(certs, { cert: certs.alice.cert })).toThrow('a client certificate needs both cert and key');
    expect(() => client(certs, { minVersion: 'TLSv1.1' as 'TLSv1.2' })).toThrow(RangeError);
    expect(() => client(certs, { alpnProtocols: [''] })).toThrow(TypeError);
  });
});
