import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_READ_BUDGET, DuplexStream } from '../src/index.js';

/** Most bytes one socket read takes (libuv's and stream-core's 64 KiB). */
const READ_BYTES = 64 * 1024;
const TRANSFER_BYTES = 4 * 1024 * 1024;
/** Turns sampled at most before a test gives up on the transfer. */
const MAX_TURNS = 100_000;

class TCPTestClient extends DuplexStream {
  connect(port: number): Promise<Socket> {
    return this._connectSocket({ host: '127.0.0.1', port });
  }
}

const servers: Server[] = [];
const streams: DuplexStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, 'close');
  }
});

/** A server on 127.0.0.1:0 whose every accepted socket goes to `onSocket`; resolves its port. */
async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A server that sends TRANSFER_BYTES to each client and ends. */
function bulkSender(): Promise<number> {
  return listen((socket) => socket.end(Buffer.alloc(TRANSFER_BYTES, 1)));
}

/**
 * The most bytes `stream` took from the OS within one event-loop turn
 * (between two `setImmediate` callbacks) until `total` bytes were buffered.
 */
async function mostBytesPerTurn(stream: DuplexStream, total: number): Promise<number> {
  let most = 0;
  let last = stream.readableLength;
  for (let turn = 0; turn < MAX_TURNS && last < total; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = stream.readableLength;
    most = Math.max(most, now - last);
    last = now;
  }
  expect(last).toBe(total);
  return most;
}

describe('read budget', () => {
  it('a stream reading through shared memory takes at most readBudget full reads in one event-loop turn', async () => {
    const port = await bulkSender();
    const client = new TCPTestClient(undefined, { readBudget: 2, highWaterMark: 2 * TRANSFER_BYTES });
    streams.push(client);
    await client.connect(port);
    expect(await mostBytesPerTurn(client, TRANSFER_BYTES)).toBeLessThanOrEqual(2 * READ_BYTES);
    expect((await client.readBytes(TRANSFER_BYTES)).every((byte) => byte === 1)).toBe(true);
  });

  it('a stream over a socket read the ordinary way (a Buffer per read) keeps the same budget', async () => {
    let stream: DuplexStream | undefined;
    const port = await listen((socket) => streams.push((stream = new DuplexStream(socket, { readBudget: 2, highWaterMark: 2 * TRANSFER_BYTES }))));
    const sender = connect(port, '127.0.0.1', () => sender.end(Buffer.alloc(TRANSFER_BYTES, 2)));
    try {
      while (stream === undefined) await new Promise((resolve) => setImmediate(resolve));
      // Plus one read: a paused Node stream still takes the read in progress into its own buffer.
      expect(await mostBytesPerTurn(stream, TRANSFER_BYTES)).toBeLessThanOrEqual(3 * READ_BYTES);
    } finally {
      sender.destroy();
    }
  });

  it('a yield does not resume reading that highWaterMark paused meanwhile', async () => {
    const port = await bulkSender();
    const highWaterMark = 2 * READ_BYTES;
    const client = new TCPTestClient(undefined, { readBudget: 1, highWaterMark });
    streams.push(client);
    await client.connect(port);
    let most = 0;
    for (let turn = 0; turn < 200; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, client.readableLength);
    }
    // Paused at highWaterMark: at most the read that crossed it more.
    expect(most).toBeGreaterThanOrEqual(highWaterMark);
    expect(most).toBeLessThan(highWaterMark + READ_BYTES);
    expect((await client.readUntilClose()).length).toBe(TRANSFER_BYTES);
  });

  it('Infinity never yields, and the default is DEFAULT_READ_BUDGET', async () => {
    expect(DEFAULT_READ_BUDGET).toBe(8);
    const port = await bulkSender();
    const client = new TCPTestClient(undefined, { readBudget: Infinity, highWaterMark: 2 * TRANSFER_BYTES });
    streams.push(client);
    await client.connect(port);
    expect((await client.readUntilClose()).length).toBe(TRANSFER_BYTES);
  });

  it('a readBudget that is not a positive integer is refused', () => {
    expect(() => new DuplexStream(undefined, { readBudget: 0 })).toThrow(RangeError);
    expect(() => new DuplexStream(undefined, { readBudget: 1.5 })).toThrow(RangeError);
    expect(() => new DuplexStream(undefined, { readBudget: '8' as unknown as number })).toThrow(TypeError);
  });
});
