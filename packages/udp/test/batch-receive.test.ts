import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamClosedError } from '@evergreen/stream-core';
import { DEFAULT_MAX_BATCH_DATAGRAMS, UDPError, UDPEndpoint, type Datagram } from '../src/index.js';
import { V4, bound, endpoint, makeDatagram, sequenceOf, until } from './helpers.js';

let peer: ChildProcess | undefined;
let socket: Socket | undefined;

afterEach(() => {
  if (peer?.exitCode === null && peer.signalCode === null) peer.kill();
  peer = undefined;
  socket?.close();
  socket = undefined;
});

/** Sends test datagrams `0..count-1` without awaiting: an IP literal's datagram leaves inside `send()`. */
function sendAll(sender: UDPEndpoint, to: UDPEndpoint, count: number): void {
  for (let seq = 0; seq < count; seq++) void sender.send(makeDatagram(seq), to.sockname);
}

/** Waits until `receiver` has kept `count` datagrams (queued or handed out). */
async function receivedAll(receiver: UDPEndpoint, count: number): Promise<void> {
  expect(await until(() => receiver.stats.received >= count)).toBe(true);
}

/** Two sockets of a python3 process, each sending `perSocket` datagrams `"<its port> <seq>"`, interleaved. */
const PYTHON_PEER = `
import socket, sys
port, per_socket = int(sys.argv[1]), int(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
for seq in range(per_socket):
    for s in socks:
        s.sendto(f"{s.getsockname()[1]} {seq}".encode(), ("127.0.0.1", port))
`;

describe('UDPEndpoint#receiveBatch', () => {
  it('resolves every queued datagram at once, oldest first, each with its sender', async () => {
    const receiver = await bound(V4);
    const first = await bound(V4);
    const second = await bound(V4);
    for (let seq = 0; seq < 6; seq++) void (seq % 2 === 0 ? first : second).send(makeDatagram(seq), receiver.sockname);
    await receivedAll(receiver, 6);
    const batch = await receiver.receiveBatch();
    expect(batch.map(([data]) => sequenceOf(data))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batch.map(([, from]) => from)).toEqual([0, 1, 2, 3, 4, 5].map((seq) => (seq % 2 === 0 ? first : second).sockname));
    expect(receiver.stats).toMatchObject({ received: 6, queued: 0 });
  });

  it('a waiting batch takes every datagram that arrives in the same turn of the event loop', async () => {
    const receiver = await bound(V4);
    const sender = await bound(V4);
    const batch = receiver.receiveBatch();
    // The ten datagrams are in the kernel's buffer before the event loop polls
    // again; Node then reads them one by one in one turn.
    sendAll(sender, receiver, 10);
    expect((await batch).map(([data]) => sequenceOf(data))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('holds at most maxDatagrams, queued or arriving, and leaves the rest in order for the next receive', async () => {
    const receiver = await bound(V4);
    const sender = await bound(V4);
    sendAll(sender, receiver, 12);
    await receivedAll(receiver, 12);
    const sizes = [];
    for (let i = 0; i < 3; i++) sizes.push((await receiver.receiveBatch({ maxDatagrams: 5 })).length);
    expect(sizes).toEqual([5, 5, 2]);

    const batch = receiver.receiveBatch({ maxDatagrams: 3 });
    const after = receiver.receive();
    sendAll(sender, receiver, 4);
    const taken = await batch;
    expect(taken.length).toBeGreaterThanOrEqual(1);
    expect(taken.length).toBeLessThanOrEqual(3);
    expect(taken.map(([data]) => sequenceOf(data))).toEqual([0, 1, 2].slice(0, taken.length));
    expect(sequenceOf((await after)[0])).toBe(taken.length);
  });

  it('is served in call order with receive()', async () => {
    const receiver = await bound(V4);
    const sender = await bound(V4);
    const single = receiver.receive();
    const batch = receiver.receiveBatch();
    sendAll(sender, receiver, 3);
    expect(sequenceOf((await single)[0])).toBe(0);
    const rest = (await batch).map(([data]) => sequenceOf(data));
    expect(rest[0]).toBe(1);
    expect(rest).toEqual([1, 2].slice(0, rest.length));
  });

  it('an aborted batch rejects with the signal reason and takes nothing', async () => {
    const receiver = await bound(V4);
    const sender = await bound(V4);
    const controller = new AbortController();
    const aborted = receiver.receiveBatch({ signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await expect(receiver.receiveBatch({ signal: controller.signal })).rejects.toThrow('stop');
    sendAll(sender, receiver, 1);
    expect(sequenceOf((await receiver.receive())[0])).toBe(0);
  });

  it('close rejects a waiting batch, and one that took datagrams but has not resolved yet, with a closed UDPError', async () => {
    const waiting = await bound(V4);
    const pending = waiting.receiveBatch();
    waiting.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UDPError);
    expect(error).toBeInstanceOf(StreamClosedError);
    await expect(waiting.receiveBatch()).rejects.toThrow('Cannot receive: the endpoint is closed');

    // A listener of the caller's own, after the endpoint's, closes it between
    // the batch taking its datagram and the end of that turn.
    socket = await boundSocket();
    const attached = endpoint();
    attached.attach(socket);
    socket.on('message', () => attached.close());
    const filled = attached.receiveBatch();
    const sender = await bound(V4);
    await sender.send('cut short', { host: '127.0.0.1', port: socket.address().port });
    await expect(filled).rejects.toBeInstanceOf(StreamClosedError);
  });

  it('a socket error hands out the batch that took datagrams first, then fails the next receive', async () => {
    socket = await boundSocket();
    const receiver = endpoint();
    receiver.attach(socket);
    // Node reports a failed recvmsg as an 'error' event on the socket; the
    // OS gives no portable way to make one, so the test emits what Node would.
    const failure = Object.assign(new Error('recvmsg ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111, syscall: 'recvmsg' });
    socket.on('message', () => socket?.emit('error', failure));
    const batch = receiver.receiveBatch();
    const sender = await bound(V4);
    await sender.send('before the error', { host: '127.0.0.1', port: socket.address().port });
    expect((await batch).map(([data]) => data.toString())).toEqual(['before the error']);
    const error = await receiver.receiveBatch().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UDPError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringMatching(/^Cannot receive: /) });
  });

  it('reports malformed options as rejections: TypeError, RangeError', async () => {
    const receiver = await bound(V4);
    await expect(receiver.receiveBatch({ maxDatagrams: 0 })).rejects.toThrow(RangeError);
    await expect(receiver.receiveBatch({ maxDatagrams: 2.5 })).rejects.toThrow(RangeError);
    await expect(receiver.receiveBatch({ maxDatagrams: '5' as unknown as number })).rejects.toThrow(TypeError);
    await expect(receiver.receiveBatch({ signal: {} as AbortSignal })).rejects.toThrow(TypeError);
    expect(DEFAULT_MAX_BATCH_DATAGRAMS).toBe(1024);
  });
});

describe('UDPEndpoint#batches', () => {
  it('iterates batches from a python3 peer with two sockets: every datagram arrives with its own sender', async () => {
    const perSocket = 200;
    const receiver = await bound(V4, { recvBufferSize: 1 << 20 });
    const received: Datagram[] = [];
    const sizes: number[] = [];
    const consuming = (async () => {
      for await (const batch of receiver.batches({ maxDatagrams: 64 })) {
        sizes.push(batch.length);
        received.push(...batch);
      }
    })();
    peer = spawn('python3', ['-c', PYTHON_PEER, String(receiver.sockname.port), String(perSocket)], { stdio: 'inherit' });
    const [code] = await once(peer, 'exit');
    expect(code).toBe(0);
    expect(await until(() => received.length >= 2 * perSocket)).toBe(true);
    receiver.close();
    await consuming;

    expect(received).toHaveLength(2 * perSocket);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    const bySender = new Map<number, number[]>();
    for (const [data, from] of received) {
      const [port, seq] = data.toString().split(' ').map(Number);
      expect(from).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
      bySender.set(port, [...(bySender.get(port) ?? []), seq]);
    }
    expect([...bySender.values()]).toEqual([0, 1].map(() => Array.from({ length: perSocket }, (_, seq) => seq)));
  });

  it('ends at close and keeps the endpoint open when left early', async () => {
    const receiver = await bound(V4);
    const sender = await bound(V4);
    sendAll(sender, receiver, 3);
    await receivedAll(receiver, 3);
    for await (const batch of receiver.batches()) {
      expect(batch).toHaveLength(3);
      break;
    }
    expect(receiver.closed).toBe(false);
    sendAll(sender, receiver, 1);
    const seen: number[] = [];
    for await (const batch of receiver.batches()) {
      seen.push(...batch.map(([data]) => sequenceOf(data)));
      receiver.close();
    }
    expect(seen).toEqual([0]);
  });

  it('return() with a step in flight ends that step: the next datagram goes to receive()', async () => {
    const receiver = await bound(V4);
    const sender = await bound(V4);
    const iterator = receiver.batches();
    const inFlight = iterator.next();
    await iterator.return!();
    expect((await inFlight).done).toBe(true);
    sendAll(sender, receiver, 1);
    expect(sequenceOf((await receiver.receive({ signal: AbortSignal.timeout(5000) }))[0])).toBe(0);
  });

  it('throws for malformed options at once', () => {
    const receiver = new UDPEndpoint();
    expect(() => receiver.batches({ maxDatagrams: -1 })).toThrow(new RangeError('Cannot iterate batches: maxDatagrams -1 is not an integer >= 1'));
    expect(() => receiver.batches({ maxDatagrams: Number.NaN })).toThrow(RangeError);
    expect(() => receiver.batches({ signal: 'no' as unknown as AbortSignal })).toThrow(TypeError);
  });
});

async function boundSocket(): Promise<Socket> {
  const created = createSocket('udp4');
  created.bind(0, '127.0.0.1');
  await once(created, 'listening');
  return created;
}
