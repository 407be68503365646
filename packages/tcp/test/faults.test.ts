import { connect as netConnect } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ECONNREFUSED, ECONNRESET } from '@evergreen/errno';
import { IncompleteReadError } from '@evergreen/stream-core';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient, TCPConnection, TCPError, TCPServer } from '../src/index.js';
import { listening, rawServer, rejection } from './helpers.js';

/** A port that was just free: bound, read back, released. */
async function closedPort(): Promise<number> {
  const raw = await rawServer(() => {});
  await raw.close();
  return raw.port;
}

/** Echoes lines back, as the original library's echo server. */
async function echoLines(conn: TCPConnection): Promise<void> {
  for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
}

describe('TCP faults', () => {
  it('a refused connection rejects with TCPError ECONNREFUSED carrying the Node error', async () => {
    const port = await closedPort();
    const client = new TCPClient();
    const error = await rejection(client.connect({ host: '127.0.0.1', port }));
    expect(error).toBeInstanceOf(TCPError);
    expect((error as TCPError).code).toBe('ECONNREFUSED');
    expect((error as TCPError).errno).toBe(ECONNREFUSED);
    expect((error as Error).message).toMatch(/^Cannot connect to 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(client.closed).toBe(true);
  });

  it('a refused connection by name names the target and the refusal', async () => {
    const port = await closedPort();
    const error = await rejection(new TCPClient().connect({ host: 'localhost', port }));
    expect(error).toBeInstanceOf(TCPError);
    expect((error as TCPError).errno).toBe(ECONNREFUSED);
    expect((error as Error).message).toMatch(/^Cannot connect to localhost:\d+: .*ECONNREFUSED/);
  });

  it('a peer reset during a pending read rejects it with TCPError ECONNRESET', async () => {
    const peer = await rawServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    const client = new TCPClient();
    try {
      await client.connect({ host: '127.0.0.1', port: peer.port });
      const pending = client.readUntil('\n');
      client.write('reset me');
      const error = await rejection(pending);
      expect(error).toBeInstanceOf(TCPError);
      expect((error as TCPError).code).toBe('ECONNRESET');
      expect((error as TCPError).errno).toBe(ECONNRESET);
      expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
      expect(client.closed).toBe(true);
    } finally {
      client.close();
      await peer.close();
    }
  });

  it('a client reset during a pending server read rejects it with TCPError ECONNRESET', async () => {
    const reads: Promise<unknown>[] = [];
    const server = await listening(new TCPServer((conn) => void reads.push(rejection(conn.readUntil('\n')))));
    const raw = netConnect({ host: '127.0.0.1', port: server.sockname.port });
    try {
      await once(raw, 'connect');
      await until(() => reads.length === 1, 'the server read to be pending');
      raw.resetAndDestroy();
      const error = await reads[0];
      expect(error).toBeInstanceOf(TCPError);
      expect((error as TCPError).code).toBe('ECONNRESET');
      expect((error as TCPError).errno).toBe(ECONNRESET);
    } finally {
      raw.destroy();
      await server.close();
    }
  });

  it("the peer's FIN in the middle of a record gives IncompleteReadError with the bytes", async () => {
    const peer = await rawServer((socket) => socket.end('complete\npart'));
    const client = new TCPClient();
    try {
      await client.connect({ host: '127.0.0.1', port: peer.port });
      expect((await client.readUntil('\n')).toString()).toBe('complete\n');
      const error = await rejection(client.readUntil('\n'));
      expect(error).toBeInstanceOf(IncompleteReadError);
      expect(error).toBeInstanceOf(TCPError);
      expect((error as IncompleteReadError).partial.toString()).toBe('part');
      expect((await client.readUntil('\n')).length).toBe(0);
    } finally {
      client.close();
      await peer.close();
    }
  });

  it('1,000 concurrent echo clients each get their own bytes back', async () => {
    const CLIENTS = 1000;
    const server = new TCPServer(echoLines);
    await server.bind({ host: '127.0.0.1', port: 0 }, { backlog: CLIENTS });
    void server.serve();
    const clients = Array.from({ length: CLIENTS }, () => new TCPClient());
    try {
      const echoed = await Promise.all(
        clients.map(async (client, i) => {
          // Unique per client: its index and random bytes, hex so no newline appears.
          const payload = `${i}:${randomBytes(512).toString('hex')}\n`;
          await client.connect(server.sockname);
          client.write(payload);
          const reply = (await client.readUntil('\n')).toString();
          await client.shutdown();
          return reply === payload;
        }),
      );
      expect(echoed.filter(Boolean).length).toBe(CLIENTS);
      // Each handler sees its client's FIN and returns: no read is left pending.
      await until(() => server.connections.size === 0, 'every handler to finish');
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
    // A bound for a loaded CI machine (the suite runs twice there), not a speed assertion.
  }, 30_000);
});
