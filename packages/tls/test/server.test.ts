import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256, until } from '@evergreen/stream-core/testing';
import { TLSError, TLSServer, type TLSConnection, type TLSServerOptions } from '../src/index.js';
import { makeCertificates, opensslVersion, type TestCertificates } from '../src/testing/index.js';
import { client, echo, echoServer, rawSocket } from './helpers.js';

describe.skipIf(opensslVersion === undefined)('TLSServer', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());

  describe('handshake failures reach onHandshakeError, never the handler', () => {
    it('a plain-text client: not-tls, with who it was', async () => {
      const { server, port, failures, accepted } = await echoServer(certs);
      try {
        const raw = await rawSocket(port);
        raw.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        await raw.closed;
        await until(() => failures.length === 1, 'the failure to be reported');
        expect(failures[0].error).toBeInstanceOf(TLSError);
        expect(failures[0].error.reason).toBe('not-tls');
        expect(failures[0].info).toEqual({ remote: { address: '127.0.0.1', port: raw.socket.localPort ?? failures[0].info.remote!.port, family: 'IPv4' }, servername: null });
        expect(accepted).toEqual([]);
        expect(server.pendingConnections).toBe(0);
      } finally {
        await server.close();
      }
    });

    it('a client that never speaks is disconnected after handshakeTimeoutMs: handshake-timeout', async () => {
      const { server, port, failures } = await echoServer(certs, { handshakeTimeoutMs: 200 });
      try {
        const raw = await rawSocket(port);
        await until(() => server.pendingConnections === 1, 'the handshake to be pending');
        // Closed by the server (Node's own handshakeTimeout would leave it connected).
        expect((await raw.closed).length).toBe(0);
        expect(failures.map((f) => f.error.reason)).toEqual(['handshake-timeout']);
        expect(server.pendingConnections).toBe(0);
      } finally {
        await server.close();
      }
    });

    it('a client that leaves mid-handshake is released at once, reported with ECONNRESET and no reason', async () => {
      const { server, port, failures } = await echoServer(certs);
      try {
        const raw = await rawSocket(port);
        await until(() => server.pendingConnections === 1, 'the handshake to be pending');
        raw.socket.end();
        await until(() => server.pendingConnections === 0, 'the handshake to be released');
        expect(failures).toHaveLength(1);
        expect(failures[0].error.code).toBe('ECONNRESET');
        expect(failures[0].error.reason).toBeUndefined();
      } finally {
        await server.close();
      }
    });

    it('close() ends handshakes in progress, reporting none', async () => {
      const { server, port, failures } = await echoServer(certs);
      const raw = await rawSocket(port);
      await until(() => server.pendingConnections === 1, 'the handshake to be pending');
      await server.close({ drainMs: 10_000 });
      expect((await raw.closed).length).toBe(0);
      expect(server.pendingConnections).toBe(0);
      expect(failures).toEqual([]);
    });

    it('a client without a certificate, when one is required: no-client-cert', async () => {
      const { server, port, failures, accepted } = await echoServer(certs, { clientAuth: 'require', maxVersion: 'TLSv1.2' });
      try {
        // TLS 1.2: the client's connect does not survive the refusal.
        const c = client(certs);
        const error = await c.connect({ host: 'localhost', port }).then(() => c.readUntilClose().then((rest) => rest.length), (e: unknown) => e);
        c.close();
        expect(error === 0 || error instanceof TLSError).toBe(true);
        await until(() => failures.length === 1, 'the failure to be reported');
        expect(failures[0].error.reason).toBe('no-client-cert');
        expect(failures[0].info.servername).toBe('localhost');
        expect(accepted).toEqual([]);
      } finally {
        await server.close();
      }
    });

    it.each([
      ['stranger', 'untrusted'],
      ['expired', 'expired'],
      ['mallory', 'not-allowed'],
    ] as const)('a client certificate %s: %s', async (who, reason) => {
      const { server, port, failures, accepted } = await echoServer(certs, { clientAuth: 'require', allow: { cn: ['alice'] } });
      try {
        const c = client(certs, { key: certs[who].key, cert: certs[who].cert });
        // With TLS 1.3 the client is done first: it writes, and learns on its read.
        expect(await c.connect({ host: 'localhost', port }).then(() => echo(c)).catch(() => 'refused')).not.toBe('ping\n');
        c.close();
        await until(() => failures.length === 1, 'the failure to be reported');
        expect(failures[0].error.reason).toBe(reason);
        expect(accepted).toEqual([]);
      } finally {
        await server.close();
      }
    });
  });

  describe('client certificates', () => {
    it('an allowed CN passes and the connection tells who it is; another CN from the same CA is refused as not-allowed', async () => {
      const { server, port, failures, accepted } = await echoServer(certs, { clientAuth: 'require', allow: { cn: ['alice'] } });
      try {
        const alice = client(certs, { key: certs.alice.key, cert: certs.alice.cert });
        await alice.connect({ host: 'localhost', port });
        expect(await echo(alice)).toBe('ping\n');
        const conn = accepted[0];
        expect(conn.authorized).toBe(true);
        expect(conn.authorizationError).toBe(null);
        expect(conn.peerCertificate?.commonNames).toEqual(['alice']);
        expect(conn.peerCertificate?.uris).toEqual(['spiffe://corp/ns/billing/sa/api']);
        expect(conn.protocol).toBe('TLSv1.3');
        expect(conn.servername).toBe('localhost');
        expect(conn.peername.address).toBe('127.0.0.1');
        alice.close();
        const mallory = client(certs, { key: certs.mallory.key, cert: certs.mallory.cert });
        expect(await mallory.connect({ host: 'localhost', port }).then(() => echo(mallory)).catch(() => 'refused')).not.toBe('ping\n');
        mallory.close();
        await until(() => failures.length === 1, 'the refusal to be reported');
        expect(failures[0].error.reason).toBe('not-allowed');
        expect(failures[0].error.message).toContain('mallory');
        expect(accepted).toHaveLength(1);
      } finally {
        await server.close();
      }
    });

    it('URI allow-list entries match SPIFFE IDs with * standing for one segment; DNS entries match DNS SANs', async () => {
      const cases: [object, 'alice' | 'mallory', boolean][] = [
        [{ uri: ['spiffe://corp/ns/*/sa/api'] }, 'alice', true],
        [{ uri: ['spiffe://corp/ns/*/sa/api'] }, 'mallory', false],
        [{ uri: ['spiffe://corp/*'] }, 'alice', false],
        [{ uri: ['spiffe://corp/ns/billing/sa/api'] }, 'alice', true],
        [{ dns: ['MALLORY.corp'] }, 'mallory', true],
        [{ dns: ['mallory.corp'] }, 'alice', false],
      ];
      for (const [allow, who, passes] of cases) {
        const { server, port, failures } = await echoServer(certs, { clientAuth: 'require', allow });
        try {
          const c = client(certs, { key: certs[who].key, cert: certs[who].cert });
          const outcome = await c.connect({ host: 'localhost', port }).then(() => echo(c)).catch(() => 'refused');
          c.close();
          expect({ allow, who, outcome }).toEqual({ allow, who, outcome: passes ? 'ping\n' : expect.anything() });
          if (!passes) {
            await until(() => failures.length === 1, 'the refusal to be reported');
            expect(failures[0].error.reason).toBe('not-allowed');
          }
        } finally {
          await server.close();
        }
      }
    });

    it("clientAuth 'optional' takes a client without a certificate", async () => {
      const { server, port, accepted } = await echoServer(certs, { clientAuth: 'optional' });
      try {
        const c = client(certs);
        await c.connect({ host: 'localhost', port });
        expect(await echo(c)).toBe('ping\n');
        expect(accepted[0].peerCertificate).toBe(null);
        expect(accepted[0].authorized).toBe(false);
        c.close();
      } finally {
        await server.close();
      }
    });
  });

  describe('sessions and credentials', () => {
    async function savedSession(port: number): Promise<Buffer> {
      const c = client(certs);
      await c.connect({ host: 'localhost', port });
      await echo(c);
      c.close();
      return c.session!;
    }

    async function resumes(port: number, session: Buffer, options = {}): Promise<boolean> {
      const c = client(certs, { session, ...options });
      try {
        await c.connect({ host: 'localhost', port });
        await echo(c);
        return c.sessionReused;
      } finally {
        c.close();
      }
    }

    it('a ticket from one server does not resume on another in the same process, even with the same certificate', async () => {
      const a = await echoServer(certs);
      const b = await echoServer(certs);
      try {
        const session = await savedSession(a.port);
        expect(await resumes(a.port, session)).toBe(true);
        expect(await resumes(b.port, session)).toBe(false);
      } finally {
        await a.server.close();
        await b.server.close();
      }
    });

    it('a server that requires client certificates never resumes a session another server issued as authorized', async () => {
      const open = await echoServer(certs);
      const strict = await echoServer(certs, { clientAuth: 'require' });
      try {
        const session = await savedSession(open.port);
        const c = client(certs, { session });
        const outcome = await c.connect({ host: 'localhost', port: strict.port }).then(() => echo(c)).catch(() => 'refused');
        c.close();
        expect(outcome).not.toBe('ping\n');
        await until(() => strict.failures.length === 1, 'the refusal to be reported');
        expect(strict.failures[0].error.reason).toBe('no-client-cert');
        expect(strict.accepted).toEqual([]);
      } finally {
        await open.server.close();
        await strict.server.close();
      }
    });

    it('setCredentials: the next handshake presents the new certificate, open connections go on, saved sessions still resume', async () => {
      const { server, port } = await echoServer(certs);
      try {
        const session = await savedSession(port);
        const before = client(certs);
        await before.connect({ host: 'localhost', port });
        server.setCredentials({ key: certs.renewedServer.key, cert: certs.renewedServer.cert, ca: certs.ca.cert });
        expect(await echo(before, 'still here\n')).toBe('still here\n');
        expect(before.peerCertificate?.commonNames).toEqual(['server']);
        before.close();
        const after = client(certs);
        await after.connect({ host: 'localhost', port });
        expect(after.peerCertificate?.commonNames).toEqual(['server-renewed']);
        after.close();
        expect(await resumes(port, session)).toBe(true);
      } finally {
        await server.close();
      }
    });

    it('setCredentials with a key that does not match its certificate throws, and the old credentials stay', async () => {
      const { server, port } = await echoServer(certs);
      try {
        expect(() => server.setCredentials({ key: certs.alice.key, cert: certs.renewedServer.cert })).toThrow(TLSError);
        expect(() => server.setCredentials({ key: certs.alice.key } as never)).toThrow(TypeError);
        const c = client(certs);
        await c.connect({ host: 'localhost', port });
        expect(c.peerCertificate?.commonNames).toEqual(['server']);
        c.close();
      } finally {
        await server.close();
      }
    });

    it('rotateTicketKeys: sessions saved before no longer resume', async () => {
      const { server, port } = await echoServer(certs);
      try {
        const session = await savedSession(port);
        server.rotateTicketKeys();
        expect(await resumes(port, session)).toBe(false);
      } finally {
        await server.close();
      }
    });
  });

  describe('a client that half-closes as soon as its handshake is done still gets the answer', () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(version, async () => {
        // Its FIN can arrive before the connection is handed over: it must not end our side too.
        const server = new TLSServer(async (conn) => void conn.write(`${(await conn.readUntilClose()).length}\n`), { key: certs.server.key, cert: certs.server.cert, maxVersion: version });
        await server.bind({ host: '127.0.0.1', port: 0 });
        void server.serve();
        try {
          const socket = tlsConnect({ host: '127.0.0.1', port: server.sockname.port, ca: certs.ca.cert, servername: 'localhost' });
          let protocol: string | null = null;
          socket.once('secureConnect', () => {
            protocol = socket.getProtocol();
            socket.end();
          });
          const chunks: Buffer[] = [];
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          await once(socket, 'close');
          expect(protocol).toBe(version);
          expect(Buffer.concat(chunks).toString()).toBe('0\n');
        } finally {
          await server.close();
        }
      });
    }
  });

  describe('TLS 1.2', () => {
    it('echoes, and resumes a saved session', async () => {
      const { server, port, accepted } = await echoServer(certs, { maxVersion: 'TLSv1.2' });
      try {
        const first = client(certs);
        await first.connect({ host: 'localhost', port });
        expect(first.protocol).toBe('TLSv1.2');
        expect(await echo(first)).toBe('ping\n');
        first.close();
        const second = client(certs, { session: first.session! });
        await second.connect({ host: 'localhost', port });
        await echo(second);
        expect(second.sessionReused).toBe(true);
        expect(accepted[1].sessionReused).toBe(true);
        second.close();
      } finally {
        await server.close();
      }
    });
  });

  describe('bytes that arrive before the hand-over', () => {
    /** 8 MiB in a pattern that shows any reordering, sent by a client right behind its handshake. */
    const payload = Buffer.from(Array.from({ length: 8 * 1024 * 1024 }, (_, i) => i % 251));

    /**
     * A server that hands each connection over only once its first bytes
     * wait in the TLS socket's buffer (what a client that sends right behind
     * its Finished often makes happen), and whose handler reads everything
     * with `readInto`, counting the socket's 'data' events from the hand-over on.
     */
    async function lateHandOver(options: Partial<TLSServerOptions> = {}) {
      const served: { received: Buffer; dataEvents: number; bufferedAtHandOver: number }[] = [];
      let bufferedAtHandOver = 0;
      class LateHandOver extends TLSServer {
        protected override async _handshake(raw: Socket, signal: AbortSignal): Promise<Socket> {
          const socket = (await super._handshake(raw, signal)) as TLSSocket;
          await until(() => socket.readableLength > 0, 'the first bytes to arrive before the hand-over');
          bufferedAtHandOver = socket.readableLength;
          return socket;
        }
      }
      const server = new LateHandOver(
        async (conn: TLSConnection) => {
          const record = { received: Buffer.alloc(0), dataEvents: 0, bufferedAtHandOver };
          (conn as unknown as { _duplex: NodeJS.EventEmitter })._duplex.on('data', () => record.dataEvents++);
          const chunks: Buffer[] = [];
          const target = Buffer.alloc(64 * 1024);
          for (let n = await conn.readInto(target, { partial: true }); n > 0; n = await conn.readInto(target, { partial: true })) chunks.push(Buffer.from(target.subarray(0, n)));
          record.received = Buffer.concat(chunks);
          served.push(record);
          conn.write('done\n');
        },
        { key: certs.server.key, cert: certs.server.cert, ...options },
      );
      await server.bind({ host: '127.0.0.1', port: 0 });
      void server.serve();
      return { server, served };
    }

    /** Sends `payload` right behind the handshake, ends, and resolves the server's answer. */
    function sendBehindHandshake(port: number): Promise<string> {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: certs.ca.cert, servername: 'localhost' }, () => socket.end(payload));
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => (answer += text));
      return new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.once('close', () => resolve(answer));
      });
    }

    it('are read first, and the rest through shared memory (onread): no data event after the hand-over', async () => {
      const { server, served } = await lateHandOver();
      try {
        expect(await sendBehindHandshake(server.sockname.port)).toBe('done\n');
        expect(served).toHaveLength(1);
        expect(served[0].bufferedAtHandOver).toBeGreaterThan(0);
        expect(served[0].received.length).toBe(payload.length);
        expect(sha256(served[0].received)).toBe(sha256(payload));
        expect(served[0].dataEvents).toBe(0);
      } finally {
        await server.close();
      }
    });

    it('keep their order when a small highWaterMark pauses the socket while they are passed on', async () => {
      const { server, served } = await lateHandOver({ highWaterMark: 1024 });
      try {
        expect(await sendBehindHandshake(server.sockname.port)).toBe('done\n');
        expect(served[0].bufferedAtHandOver).toBeGreaterThan(1024);
        expect(sha256(served[0].received)).toBe(sha256(payload));
      } finally {
        await server.close();
      }
    });
  });

  it('reset() aborts the TCP connection beneath: the client sees ECONNRESET after the bytes it had, never a clean end', async () => {
    const { server, port, accepted } = await echoServer(certs);
    const c = client(certs);
    try {
      await c.connect({ host: 'localhost', port });
      expect(await echo(c)).toBe('ping\n');
      accepted[0].reset();
      const error = await c.readBytes(1).then(
        (bytes) => new Error(`expected a reset, got ${bytes.length === 0 ? 'a clean end' : 'bytes'}`),
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(TLSError);
      expect((error as TLSError).code).toBe('ECONNRESET');
      expect(accepted[0].closed).toBe(true);
    } finally {
      c.close();
      await server.close();
    }
  });

  it('the constructor refuses options that are not ones', () => {
    const { key, cert } = certs.server;
    expect(() => new TLSServer(() => {}, {} as never)).toThrow('Cannot create the TLS server: a key and a cert are required');
    expect(() => new TLSServer(() => {}, { key, cert, clientAuth: 'maybe' as 'none' })).toThrow(TypeError);
    expect(() => new TLSServer(() => {}, { key, cert, allow: { cn: ['x'] } })).toThrow("an allow-list needs clientAuth 'optional' or 'require'");
    expect(() => new TLSServer(() => {}, { key, cert, clientAuth: 'require', allow: { uri: ['spiffe://*/x'] } })).toThrow(TypeError);
    expect(() => new TLSServer(() => {}, { key, cert, handshakeTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => new TLSServer(() => {}, { key: certs.alice.key, cert })).toThrow(TLSError);
  });
});
