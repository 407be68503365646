import type { RemoteInfo, Socket as UDPSocket } from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import { addressOf, Client, connectSocket, portOf, rejection, releaseAll, startDaemon, startDaemonWith, tempDir } from './harness.js';
import { exchangePayloads } from './payload.js';
import { mismatches, payloadUpstream, streamUpstream } from './upstreams.js';
import { boundSocket, CHUNK_BYTES, datagramClient, datagramUpstream } from './datagram-transfer.js';

afterEach(releaseAll);

const CLIENTS = 200;
const MiB = 1024 * 1024;
const SIZE = 4 * MiB;
/**
 * UDP moves the same 4 MiB each way, in 32 KiB stop-and-wait chunks
 * (datagram-transfer.ts). The daemon's udp server asks for a 4 MiB kernel
 * receive buffer (Linux grants twice that, capped at net.core.rmem_max): the
 * default, about 208 KiB, holds six of the 200 datagrams that arrive at once,
 * and each one dropped costs its client a retransmit wait.
 */
const UDP_RECV_BUFFER = 4 * MiB;
/**
 * The bound of one bulk test, not a speed assertion: a stream test moves
 * 1.6 GiB through the daemon (about 16 s of CPU, all in this one process);
 * on 2 cores shared with other work it took up to 75 s.
 */
const BULK_TIMEOUT_MS = 180_000;

type Side = 'tcp' | 'pipe';

/** Where one side listens: loopback port 0, or a unix socket in `dir`. */
function listenOf(side: Side, dir: string, name: string): { uri: string; net: { path: string } | { host: string; port: 0 } } {
  if (side === 'tcp') return { uri: 'tcp://127.0.0.1:0', net: { host: '127.0.0.1', port: 0 } };
  const path = join(dir, `${name}.sock`);
  return { uri: `pipe://${path}`, net: { path } };
}

describe('forward between stream transports', () => {
  it.each([
    ['tcp', 'tcp'],
    ['tcp', 'pipe'],
    ['pipe', 'tcp'],
  ] as [Side, Side][])('relays %s to %s: 200 concurrent connections move 4 MiB each way byte-exact, half-close passing through', async (front, back) => {
    const dir = await tempDir();
    const upstream = await payloadUpstream(listenOf(back, dir, 'up').net, SIZE);
    const daemon = await startDaemon([{ name: 'fwd', listen: listenOf(front, dir, 'in').uri, handler: { type: 'forward', target: upstream.uri } }]);
    const address = addressOf(daemon, 'fwd');

    // Each client shuts its write side once sent and still reads the upstream's payload to its FIN.
    const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => exchangePayloads(await connectSocket(address), SIZE)));
    await until(() => upstream.transfers.length + upstream.failures.length === CLIENTS, 'every upstream transfer to finish');

    expect(upstream.failures).toEqual([]);
    expect(mismatches(clients, upstream.transfers, SIZE)).toEqual([]);
    await until(() => daemon.server('fwd').stats.active === 0, 'every forwarded connection to close');
    const stats = daemon.server('fwd').stats;
    expect({ accepted: stats.accepted, bytesIn: stats.bytesIn, bytesOut: stats.bytesOut, errors: stats.errors }).toEqual({ accepted: CLIENTS, bytesIn: CLIENTS * SIZE, bytesOut: CLIENTS * SIZE, errors: 0 });
  }, BULK_TIMEOUT_MS);
});

describe('forward and half-close', () => {
  it('passes the client\'s shutdown to the upstream as EOF, then relays the upstream\'s answer and its EOF back', async () => {
    const upstreamSawEof: boolean[] = [];
    const upstream = await streamUpstream({ host: '127.0.0.1', port: 0 }, (socket) => {
      const question: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => question.push(chunk));
      socket.on('end', () => {
        upstreamSawEof.push(true);
        socket.end(`answer to ${Buffer.concat(question).toString()}`);
      });
    });
    const daemon = await startDaemon([{ name: 'fwd', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: upstream.uri } }]);
    const client = await Client.connect(addressOf(daemon, 'fwd'));

    client.socket.end('question');
    const { how, rest } = await client.ending();

    expect(upstreamSawEof).toEqual([true]);
    expect(rest.toString()).toBe('answer to question');
    expect(how).toBe('eof');
  });
});

describe('forward between datagram transports', () => {
  it('relays udp to udp: 200 concurrent clients move 4 MiB each way byte-exact, each with a flow of its own', async () => {
    const upstream = await datagramUpstream(SIZE);
    const daemon = await startDaemon([{ name: 'fwd', listen: 'udp://127.0.0.1:0', handler: { type: 'forward', target: upstream.uri }, recvBufferSize: UDP_RECV_BUFFER }]);
    const address = addressOf(daemon, 'fwd');

    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => datagramClient(address, SIZE)));

    expect(mismatches(clients, upstream.transfers, SIZE)).toEqual([]);
    const stats = daemon.server('fwd').stats;
    expect({ accepted: stats.accepted, active: stats.active, errors: stats.errors }).toEqual({ accepted: CLIENTS, active: CLIENTS, errors: 0 });
    // Resent chunks count too: at least every chunk with its header came in, and went out as a reply.
    const leastBytes = CLIENTS * (SIZE + 4 * Math.ceil(SIZE / CHUNK_BYTES));
    expect(stats.bytesIn).toBeGreaterThanOrEqual(leastBytes);
    expect(stats.bytesOut).toBeGreaterThanOrEqual(leastBytes);
  }, BULK_TIMEOUT_MS);
});

/** Sends `text` from `socket` to 127.0.0.1:`port`; resolves once the OS took it. */
function sendTo(socket: UDPSocket, text: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(text, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
}

/** A datagram transport (`nobind://`) whose every bind fails. */
const UNBINDABLE = fileURLToPath(new URL('./fixtures/unbindable-udp.mjs', import.meta.url));

describe('forward of datagrams: the session\'s upstream socket', () => {
  it('relays only the target\'s replies: a stranger sending to the upstream port reaches no client', async () => {
    const target = await boundSocket();
    const upstreamPorts: number[] = [];
    target.on('message', (data: Buffer, from: RemoteInfo) => {
      upstreamPorts.push(from.port);
      target.send(`reply to ${data.toString()}`, from.port, from.address);
    });
    const daemon = await startDaemon([{ name: 'ufwd', listen: 'udp://127.0.0.1:0', handler: { type: 'forward', target: `udp://127.0.0.1:${target.address().port}` } }]);
    const [client, stranger] = [await boundSocket(), await boundSocket()];
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString()));

    await sendTo(client, 'hello', portOf(addressOf(daemon, 'ufwd')));
    await until(() => received.length === 1, 'the target\'s reply');
    const upstreamPort = upstreamPorts[0]!;
    // The stranger's datagram goes first: relayed, it would reach the client before the target's.
    await sendTo(stranger, 'injected by a stranger', upstreamPort);
    await sendTo(target, 'more from the target', upstreamPort);
    await until(() => received.length >= 2, 'the target\'s second datagram');

    expect(received).toEqual(['reply to hello', 'more from the target']);
    expect(daemon.server('ufwd').stats.active).toBe(1);
  });

  it.each([
    ['udp://127.0.0.1:0', 'udp://[::1]:9', 'IPv4', 'IPv6'],
    ['udp://[::1]:0', 'udp://127.0.0.1:9', 'IPv6', 'IPv4'],
  ])('refuses a forward from %s to %s when it is added (invalid), naming both families: every datagram would fail', async (listen, target, from, to) => {
    const daemon = await startDaemon([]);

    const error = await rejection(daemon.addServer({ name: 'ufwd', listen, handler: { type: 'forward', target } }));

    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).kind).toBe('invalid');
    expect((error as DaemonError).message).toContain(`(${from}) to`);
    expect((error as DaemonError).message).toContain(`(${to}):`);
    expect((error as DaemonError).data).toMatchObject({ path: 'handler.target', value: target });
    expect(daemon.listServers()).toEqual([]);
  });

  it('ends the session, counted as a handler error, when its upstream socket cannot be bound', async () => {
    const servers = [{ name: 'ufwd', listen: 'udp://127.0.0.1:0', handler: { type: 'forward' as const, target: 'nobind://127.0.0.1:9' } }];
    const daemon = await startDaemonWith({ transports: { nobind: UNBINDABLE }, servers });
    const client = await boundSocket();

    await sendTo(client, 'hello', portOf(addressOf(daemon, 'ufwd')));
    await until(() => daemon.server('ufwd').stats.errors === 1, 'the session to fail');
    await until(() => daemon.server('ufwd').stats.active === 0, 'the session to end');

    expect(daemon.server('ufwd').stats.accepted).toBe(1);
  });
});
