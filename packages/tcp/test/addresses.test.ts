import { lookup } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { EADDRINUSE, EALREADY, EINVAL, EISCONN, ENOTCONN } from '@evergreen/errno';
import { StreamClosedError } from '@evergreen/stream-core';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient, TCPConnection, TCPError, TCPServer } from '../src/index.js';
import { LOOPBACK_V4, LOOPBACK_V6, listening, rawServer, rejection } from './helpers.js';

/** A server that parks each connection and lets the test pick it up. */
async function parkingServer(address: { host: string; port: number } = LOOPBACK_V4): Promise<{ server: TCPServer; accepted: TCPConnection[] }> {
  const accepted: TCPConnection[] = [];
  const server = await listening(new TCPServer((conn) => void accepted.push(conn)), address);
  return { server, accepted };
}

describe('TCP addresses', () => {
  it('connects over IPv6 loopback and names both ends as IPv6', async () => {
    const { server, accepted } = await parkingServer(LOOPBACK_V6);
    const client = new TCPClient();
    try {
      expect(server.sockname).toEqual({ address: '::1', port: expect.any(Number), family: 'IPv6' });
      await client.connect({ host: '::1', port: server.sockname.port });
      await until(() => accepted.length === 1, 'the connection to be accepted');
      expect(client.peername).toEqual(server.sockname);
      expect(client.sockname).toEqual(accepted[0].peername);
      expect(accepted[0].sockname).toEqual(server.sockname);
      client.write('over v6\n');
      expect((await accepted[0].readUntil('\n')).toString()).toBe('over v6\n');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('connects by name, trying every address the name resolves to', async () => {
    // Listen on the last address 'localhost' has: with both ::1 and
    // 127.0.0.1, the first attempt is refused and the next one must be tried.
    const addresses = await lookup('localhost', { all: true });
    const last = addresses[addresses.length - 1];
    const { server, accepted } = await parkingServer({ host: last.address, port: 0 });
    const client = new TCPClient();
    try {
      await client.connect({ host: 'localhost', port: server.sockname.port });
      expect(client.peername).toEqual(server.sockname);
      await until(() => accepted.length === 1, 'the connection to be accepted');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('accepts [host, port] and { address, port } wherever it takes an address', async () => {
    const server = new TCPServer(() => {});
    const client = new TCPClient();
    try {
      await server.bind(['127.0.0.1', 0]);
      void server.serve();
      const { address, port } = server.sockname;
      await client.connect({ address, port }, ['127.0.0.1', 0]);
      expect(client.peername).toEqual(server.sockname);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('sourceAddress binds the local side to the address and port asked for', async () => {
    const free = await rawServer(() => {});
    await free.close();
    const { server, accepted } = await parkingServer();
    const client = new TCPClient();
    try {
      await client.connect(server.sockname, { host: '127.0.0.1', port: free.port });
      expect(client.sockname).toEqual({ address: '127.0.0.1', port: free.port, family: 'IPv4' });
      await until(() => accepted.length === 1, 'the connection to be accepted');
      expect(accepted[0].peername).toEqual(client.sockname);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a source address of the other family rejects with TCPError EINVAL', async () => {
    const { server } = await parkingServer();
    const client = new TCPClient();
    try {
      const error = await rejection(client.connect(server.sockname, { host: '::1', port: 0 }));
      expect(error).toBeInstanceOf(TCPError);
      expect((error as TCPError).errno).toBe(EINVAL);
      expect(client.closed).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('rejects malformed addresses with TypeError and ports out of range with RangeError', async () => {
    const client = new TCPClient();
    await expect(client.connect({ host: '127.0.0.1' } as never)).rejects.toThrow(TypeError);
    await expect(client.connect({ host: '', port: 80 })).rejects.toThrow(TypeError);
    await expect(client.connect({ host: '127.0.0.1', port: 70_000 })).rejects.toThrow(RangeError);
    await expect(client.connect({ host: '127.0.0.1', port: 0 })).rejects.toThrow(RangeError);
    await expect(client.connect({ host: '127.0.0.1', port: 80 }, { host: 'localhost', port: 0 })).rejects.toThrow(TypeError);
    // Argument errors leave the client usable.
    expect(client.closed).toBe(false);
    const server = new TCPServer(() => {});
    await expect(server.bind('127.0.0.1:80' as never)).rejects.toThrow(TypeError);
    await expect(server.bind({ host: '127.0.0.1', port: -1 })).rejects.toThrow(RangeError);
    await server.close();
  });

  it('binding an address in use rejects with TCPError EADDRINUSE naming the address', async () => {
    const { server } = await parkingServer();
    const second = new TCPServer(() => {});
    try {
      const { port } = server.sockname;
      const error = await rejection(second.bind({ host: '127.0.0.1', port }));
      expect(error).toBeInstanceOf(TCPError);
      expect((error as TCPError).errno).toBe(EADDRINUSE);
      expect((error as TCPError).code).toBe('EADDRINUSE');
      expect((error as Error).message).toMatch(new RegExp(`^Cannot bind 127\\.0\\.0\\.1:${port}: `));
    } finally {
      await second.close();
      await server.close();
    }
  });

  it("a server's sockname throws TCPError EINVAL before bind", () => {
    const error = captured(() => new TCPServer().sockname);
    expect(error).toBeInstanceOf(TCPError);
    expect(error).toMatchObject({ code: 'EINVAL', errno: EINVAL, message: 'Cannot read the server address: the server is not bound' });
  });

  it('sockname and peername throw TCPError ENOTCONN before connect and StreamClosedError after close', async () => {
    const { server, accepted } = await parkingServer();
    const client = new TCPClient();
    try {
      for (const name of ['sockname', 'peername'] as const) {
        const error = captured(() => client[name]);
        expect(error).toBeInstanceOf(TCPError);
        expect((error as TCPError).errno).toBe(ENOTCONN);
      }
      await client.connect(server.sockname);
      await until(() => accepted.length === 1, 'the connection to be accepted');
      client.close();
      accepted[0].close();
      for (const stream of [client, accepted[0]]) {
        for (const name of ['sockname', 'peername'] as const) {
          const error = captured(() => stream[name]);
          expect(error).toBeInstanceOf(TCPError);
          expect(error).toBeInstanceOf(StreamClosedError);
        }
      }
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a server names its address only while bound', async () => {
    const server = new TCPServer(() => {});
    const unbound = captured(() => server.sockname);
    expect(unbound).toBeInstanceOf(TCPError);
    expect(unbound).toMatchObject({ code: 'EINVAL', errno: EINVAL });
    await server.bind(LOOPBACK_V4);
    expect(server.sockname).toEqual({ address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' });
    expect(server.sockname.port).toBeGreaterThan(0);
    await server.close();
    const error = captured(() => server.sockname);
    expect(error).toBeInstanceOf(TCPError);
    expect(error).toBeInstanceOf(StreamClosedError);
  });

  it('connect on a connected or connecting client rejects with TCPError EISCONN or EALREADY', async () => {
    const { server } = await parkingServer();
    const client = new TCPClient();
    try {
      const connecting = client.connect(server.sockname);
      const again = await rejection(client.connect(server.sockname));
      expect((again as TCPError).errno).toBe(EALREADY);
      await connecting;
      const once = await rejection(client.connect(server.sockname));
      expect(once).toBeInstanceOf(TCPError);
      expect((once as TCPError).errno).toBe(EISCONN);
      // The misuse does not break the connection.
      expect(client.write('still fine')).toBe(true);
      client.close();
      expect(await rejection(client.connect(server.sockname))).toBeInstanceOf(StreamClosedError);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('TCP connect cancellation', () => {
  it('an already-aborted signal rejects with its reason and opens no socket', async () => {
    const { server, accepted } = await parkingServer();
    const client = new TCPClient();
    try {
      const reason = new Error('not today');
      await expect(client.connect(server.sockname, undefined, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(client.closed).toBe(true);
      await expect(client.readBytes(1)).rejects.toBeInstanceOf(StreamClosedError);
      // A connection that went through would be accepted by now: a later one is first.
      const probe = new TCPClient();
      await probe.connect(server.sockname);
      await until(() => accepted.length === 1, 'the probe to be accepted');
      expect(accepted[0].peername).toEqual(probe.sockname);
      probe.close();
    } finally {
      await server.close();
    }
  });

  it('an abort while connecting rejects with the reason, closes the client and leaves no connection', async () => {
    const { server } = await parkingServer();
    const client = new TCPClient();
    try {
      const controller = new AbortController();
      client.write('buffered before connect');
      const connecting = client.connect(server.sockname, undefined, { signal: controller.signal });
      const reason = new Error('changed my mind');
      controller.abort(reason);
      await expect(connecting).rejects.toBe(reason);
      expect(client.closed).toBe(true);
      await expect(client.flush()).rejects.toBeInstanceOf(StreamClosedError);
      await until(() => server.connections.size === 0, 'any half-made connection to be released');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a signal aborted after connect resolved leaves the connection alone', async () => {
    const { server, accepted } = await parkingServer();
    const client = new TCPClient();
    try {
      const controller = new AbortController();
      await client.connect(server.sockname, undefined, { signal: controller.signal });
      controller.abort();
      await until(() => accepted.length === 1, 'the connection to be accepted');
      client.write('still connected\n');
      expect((await accepted[0].readUntil('\n')).toString()).toBe('still connected\n');
      expect(client.closed).toBe(false);
    } finally {
      client.close();
      await server.close();
    }
  });
});

function captured(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    return error;
  }
  throw new Error('Expected a throw');
}
