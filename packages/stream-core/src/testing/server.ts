import { describe, expect, it } from 'vitest';
import { errnoOf } from '@evergreen/errno';
import { StreamClosedError } from '../errors.js';
import type { StreamConnection } from '../stream-connection.js';
import type { ServerCloseOptions, StreamServerOptions } from '../stream-server.js';
import { connectPair, until, type StreamTransportHarness } from './harness.js';

/** Servers: accepting, handlers, connect, and closing with connections open. */
export function describeServer<A>(harness: StreamTransportHarness<A>): void {
  describe('server', () => {
    it('echoes lines through a server that loops on readUntil', async () => {
      const server = harness.createServer(async (conn) => {
        for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
      });
      await server.bind(harness.bindAddress());
      void server.serve();
      const client = harness.createClient();
      try {
        await harness.connect(client, harness.connectAddress(server));
        for (const line of ['hello\n', 'wörld\n', `${'x'.repeat(100_000)}\n`]) {
          client.write(line);
          expect((await client.readUntil('\n')).toString()).toBe(line);
        }
        await client.shutdown();
        expect((await client.readBytes(1)).length).toBe(0);
      } finally {
        client.close();
        await server.close();
      }
    });

    it('buffers writes made before connect and sends them on connect', async () => {
      const accepted: StreamConnection[] = [];
      const server = harness.createServer((conn) => {
        accepted.push(conn);
      });
      await server.bind(harness.bindAddress());
      void server.serve();
      const client = harness.createClient();
      try {
        expect(client.writableLength).toBe(0);
        expect(client.write('früh ')).toBe(false);
        expect(client.write(Buffer.from('bird\n'))).toBe(false);
        // Buffered before connect: counted in bytes ('ü' is two).
        expect(client.writableLength).toBe(11);
        await harness.connect(client, harness.connectAddress(server));
        await until(() => accepted.length === 1, 'the connection to be accepted');
        expect((await accepted[0].readUntil('\n')).toString()).toBe('früh bird\n');
        await client.flush();
        expect(client.writableLength).toBe(0);
      } finally {
        client.close();
        await server.close();
      }
    });

    it('server close rejects every pending read and closes every connection, reporting no handler error', async () => {
      const reads: Promise<unknown>[] = [];
      const handlerErrors: unknown[] = [];
      const server = harness.createServer(
        async (conn) => {
          const read = conn.readUntil('\n');
          reads.push(read.catch((e: unknown) => e));
          await read;
        },
        { onError: (error) => handlerErrors.push(error) },
      );
      await server.bind(harness.bindAddress());
      const served = server.serve();
      const clients = Array.from({ length: 20 }, () => harness.createClient());
      try {
        await Promise.all(clients.map((client) => harness.connect(client, harness.connectAddress(server))));
        for (const client of clients) client.write('partial');
        await until(() => reads.length === clients.length, 'every connection to be accepted');
        // Closing a socket whose kernel buffer still holds bytes sends a reset, not a FIN:
        // wait until every connection has taken its bytes in.
        await until(() => [...server.connections].every((conn) => conn.readableLength === 'partial'.length), 'every connection to receive its bytes');
        await server.close();
        await served;
        for (const error of await Promise.all(reads)) {
          expect(error).toBeInstanceOf(StreamClosedError);
          expect(error).toBeInstanceOf(harness.errorClass);
        }
        expect(server.connections.size).toBe(0);
        expect(handlerErrors).toEqual([]);
        for (const client of clients) expect((await client.readUntilClose()).length).toBe(0);
      } finally {
        for (const client of clients) client.close();
      }
    });

    it('a handler that throws closes only its own connection', async () => {
      const errors: unknown[] = [];
      let calls = 0;
      const server = harness.createServer(
        async (conn) => {
          if (calls++ === 0) throw new Error('handler bug');
          conn.write(await conn.readUntil('\n'));
        },
        { onError: (error) => errors.push(error) },
      );
      await server.bind(harness.bindAddress());
      void server.serve();
      const [first, second] = [harness.createClient(), harness.createClient()];
      try {
        await harness.connect(first, harness.connectAddress(server));
        expect((await first.readUntilClose()).length).toBe(0);
        await harness.connect(second, harness.connectAddress(server));
        second.write('still served\n');
        expect((await second.readUntil('\n')).toString()).toBe('still served\n');
        expect(errors).toHaveLength(1);
        expect((errors[0] as Error).message).toBe('handler bug');
      } finally {
        first.close();
        second.close();
        await server.close();
      }
    });

    it('a handler that shuts down without waiting and returns loses nothing', async () => {
      const payload = Buffer.alloc(8 * 1024 * 1024, 'q');
      const server = harness.createServer(async (conn) => {
        conn.write(payload);
        void conn.shutdown();
      });
      await server.bind(harness.bindAddress());
      void server.serve();
      const client = harness.createClient();
      try {
        await harness.connect(client, harness.connectAddress(server));
        expect((await client.readUntilClose()).equals(payload)).toBe(true);
      } finally {
        client.close();
        await server.close();
      }
    });

    it('a second bind while the first is under way rejects and leaves one listener', async () => {
      const server = harness.createServer(() => {});
      const binds = await Promise.allSettled([server.bind(harness.bindAddress()), server.bind(harness.bindAddress())]);
      expect(binds.map((b) => b.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = binds.find((b) => b.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(harness.errorClass);
      expect((rejected.reason as { code?: string }).code).toBe('EINVAL');
      const address = harness.connectAddress(server);
      await server.close();
      const late = harness.createClient();
      // Nobody listens there any more: refused (a port), or gone (a socket file the server removed).
      const refused = await harness.connect(late, address).then(
        () => undefined,
        (error: unknown) => error,
      );
      late.close();
      expect(refused).toBeInstanceOf(harness.errorClass);
      const { code, errno } = refused as { code?: string; errno?: number };
      expect(['ECONNREFUSED', 'ENOENT']).toContain(code);
      expect(errno).toBe(errnoOf(code!));
    });

    it('serve() and close() report bad arguments as rejections, and a rejected close() closes nothing', async () => {
      const server = harness.createServer(undefined);
      await server.bind(harness.bindAddress());
      try {
        let result: Promise<void> | undefined;
        expect(() => (result = server.serve())).not.toThrow();
        await expect(result).rejects.toBeInstanceOf(TypeError);
        await expect(result).rejects.toThrow('Cannot serve: pass a handler to the constructor or override handleConnection');
        const bad: [unknown, typeof TypeError, string][] = [
          [null, TypeError, 'Cannot close the server with options null: expected an object such as { drainMs: 1000 }'],
          [{ drainMs: '5' }, TypeError, 'Cannot use drainMs "5": expected a number of milliseconds'],
          [{ drainMs: -1 }, RangeError, 'Cannot use drainMs -1: expected 0..2147483647 milliseconds'],
          [{ drainMs: Number.NaN }, RangeError, 'Cannot use drainMs NaN: expected 0..2147483647 milliseconds'],
          [{ drainMs: Infinity }, RangeError, 'Cannot use drainMs Infinity: expected 0..2147483647 milliseconds'],
        ];
        for (const [options, kind, message] of bad) {
          expect(() => (result = server.close(options as ServerCloseOptions))).not.toThrow();
          await expect(result).rejects.toBeInstanceOf(kind);
          await expect(result).rejects.toThrow(message);
        }
        // Still listening (and a socket file still there): a client connects.
        const client = harness.createClient();
        try {
          await harness.connect(client, harness.connectAddress(server));
          expect(client.connected).toBe(true);
        } finally {
          client.close();
        }
      } finally {
        await server.close();
      }
    });

    it('bad options throw when the server is made, not when a connection arrives', () => {
      const handler = (): void => {};
      const bad: [object, typeof TypeError, string][] = [
        [{ highWaterMark: -1 }, RangeError, 'Cannot use highWaterMark -1: expected a positive integer'],
        [{ maxBufferSize: '64' }, TypeError, 'Cannot use maxBufferSize "64": expected a positive integer'],
        [{ closeTimeoutMs: 2 ** 31 }, RangeError, 'Cannot use closeTimeoutMs 2147483648: expected 0..2147483647 milliseconds'],
        [{ closeTimeoutMs: Number.NaN }, RangeError, 'Cannot use closeTimeoutMs NaN: expected 0..2147483647 milliseconds'],
        [{ closeTimeoutMs: 'x' }, TypeError, 'Cannot use closeTimeoutMs "x": expected a number of milliseconds'],
        [{ onError: 5 }, TypeError, 'Cannot create the server: onError must be a function'],
      ];
      for (const [options, kind, message] of bad) {
        const make = (): unknown => harness.createServer(handler, options as StreamServerOptions<StreamConnection>);
        expect(make).toThrow(kind);
        expect(make).toThrow(message);
      }
    });

    it('a handler that returns flushes what it wrote, then closes the connection', async () => {
      const server = harness.createServer(async (conn) => {
        conn.write(Buffer.alloc(2 * 1024 * 1024, 'z'));
      });
      await server.bind(harness.bindAddress());
      void server.serve();
      const client = harness.createClient();
      try {
        await harness.connect(client, harness.connectAddress(server));
        expect((await client.readUntilClose()).equals(Buffer.alloc(2 * 1024 * 1024, 'z'))).toBe(true);
        await until(() => server.connections.size === 0, 'the connection to be released');
      } finally {
        client.close();
        await server.close();
      }
    });

    it('close({ drainMs }) lets active connections finish first', async () => {
      const server = harness.createServer(async (conn) => {
        const line = await conn.readUntil('\n');
        conn.write(line);
      });
      await server.bind(harness.bindAddress());
      void server.serve();
      const client = harness.createClient();
      try {
        await harness.connect(client, harness.connectAddress(server));
        await until(() => server.connections.size === 1, 'the connection to be accepted');
        const closed = server.close({ drainMs: 5000 });
        client.write('finish me\n');
        expect((await client.readUntil('\n')).toString()).toBe('finish me\n');
        await closed;
        expect(server.connections.size).toBe(0);
      } finally {
        client.close();
        await server.close();
      }
    });

    it('connections know their server until they close', async () => {
      const pair = await connectPair(harness);
      try {
        expect(pair.conn.server).toBe(pair.server);
        expect(pair.server.connections.has(pair.conn)).toBe(true);
        pair.conn.close();
        expect(pair.conn.server).toBe(null);
        await until(() => !pair.server.connections.has(pair.conn), 'the connection to be released');
        expect(pair.server.connections.size).toBe(0);
      } finally {
        await pair.close();
      }
    });
  });
}
