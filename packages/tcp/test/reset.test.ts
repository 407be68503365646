import type { Socket } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ECONNRESET } from '@evergreen/errno';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient, TCPError, TCPServer, type TCPConnection } from '../src/index.js';
import { listening, rawServer } from './helpers.js';

const MiB = 1024 * 1024;
/** What the peer queues before it resets: far more than the client's buffer and the kernel's hold. */
const QUEUED_BYTES = 4 * MiB;
/** The client's unread-bytes bound: it pauses reading long before the peer is done. */
const HIGH_WATER_MARK = 64 * 1024;
const READ_BYTES = 64 * 1024;

/** Reads `stream` to its end; resolves the byte count and how it ended (`'end'` or the error). */
async function drain(stream: TCPClient | TCPConnection): Promise<{ bytes: number; ended: 'end' | unknown }> {
  let bytes = 0;
  try {
    for (let n = (await stream.readBytes(READ_BYTES, { partial: true })).length; n > 0; n = (await stream.readBytes(READ_BYTES, { partial: true })).length) bytes += n;
  } catch (error) {
    return { bytes, ended: error };
  }
  return { bytes, ended: 'end' };
}

/** A client connected to a peer that writes `QUEUED_BYTES`, then does `finish` once the client says it has paused. */
async function pausedClient(finish: (socket: Socket) => void): Promise<{ client: TCPClient; peerDone: Promise<void>; close(): Promise<void> }> {
  let peerDone!: Promise<void>;
  const peer = await rawServer((socket) => {
    peerDone = once(socket, 'close').then(() => {});
    socket.write(Buffer.alloc(QUEUED_BYTES, 7));
    socket.once('data', () => finish(socket));
  });
  const client = new TCPClient({ highWaterMark: HIGH_WATER_MARK });
  await client.connect({ host: '127.0.0.1', port: peer.port });
  // Nothing reads: the client pauses at its high-water mark, the kernel's buffers fill.
  await until(() => client.readableLength >= HIGH_WATER_MARK, 'the client to buffer up to its high-water mark');
  client.write('paused\n');
  return {
    client,
    get peerDone() {
      return peerDone;
    },
    async close() {
      client.close();
      await peer.close();
    },
  };
}

describe('TCP resets', () => {
  it('a reset that arrives while reading is paused rejects the read after the bytes that came first, never a clean end', async () => {
    const { client, peerDone, close } = await pausedClient((socket) => socket.resetAndDestroy());
    try {
      await peerDone;
      const { bytes, ended } = await drain(client);
      expect(ended).toBeInstanceOf(TCPError);
      expect((ended as TCPError).code).toBe('ECONNRESET');
      expect((ended as TCPError).errno).toBe(ECONNRESET);
      expect(bytes).toBeGreaterThanOrEqual(HIGH_WATER_MARK);
      expect(bytes).toBeLessThan(QUEUED_BYTES);
    } finally {
      await close();
    }
  });

  it("the peer's FIN while reading is paused is a clean end after every byte, and the write side stays open", async () => {
    const received: Buffer[] = [];
    const { client, close } = await pausedClient((socket) => {
      socket.end();
      socket.on('data', (chunk: Buffer) => received.push(chunk));
    });
    try {
      const { bytes, ended } = await drain(client);
      expect({ bytes, ended }).toEqual({ bytes: QUEUED_BYTES, ended: 'end' });
      client.write('still here\n');
      await client.flush();
      await until(() => Buffer.concat(received).toString() === 'still here\n', 'the peer to get the write made after its FIN');
    } finally {
      await close();
    }
  });

  it('reset() makes the peer see ECONNRESET after the bytes already sent, not end of stream', async () => {
    const server = await listening(
      new TCPServer(async (conn) => {
        await conn.readUntil('\n');
        conn.write('some bytes');
        await conn.flush();
        conn.reset();
        expect(conn.closed).toBe(true);
        await expect(conn.readBytes(1)).rejects.toMatchObject({ name: 'StreamClosedError' });
      }),
    );
    const client = new TCPClient();
    try {
      await client.connect(server.sockname);
      client.write('go\n');
      const { bytes, ended } = await drain(client);
      expect(bytes).toBeLessThanOrEqual('some bytes'.length);
      expect((ended as TCPError).code).toBe('ECONNRESET');
    } finally {
      client.close();
      await server.close();
    }
  });

  it("a client's reset() resets its peer; reset() after close() changes nothing", async () => {
    const peerEnds: string[] = [];
    const peer = await rawServer((socket) => {
      socket.resume();
      socket.on('error', (error: NodeJS.ErrnoException) => peerEnds.push(error.code ?? ''));
      socket.on('end', () => peerEnds.push('end'));
    });
    const reset = new TCPClient();
    const closed = new TCPClient();
    try {
      await reset.connect({ host: '127.0.0.1', port: peer.port });
      await closed.connect({ host: '127.0.0.1', port: peer.port });
      reset.reset();
      closed.close();
      closed.reset();
      await until(() => peerEnds.length === 2, 'both peers to see their ends');
      expect(peerEnds.sort()).toEqual(['ECONNRESET', 'end']);
    } finally {
      await peer.close();
    }
  });
});
