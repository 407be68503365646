import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decodeMulti, encode } from '@msgpack/msgpack';
import { afterTest, startDaemon, type DaemonProcess, type LogRecord } from './daemon-process.js';
import { SpecClient } from './spec-client.js';
import { echoOnce } from './tcp-peer.js';

/** The burst's bound: a subscriber that is not closed by then fails the test. Each connection makes two events (open, close). */
const MAX_CONNECTIONS = 20_000;
const CONCURRENT_CONNECTIONS = 32;
/**
 * How much the daemon's RSS may grow: 48 MiB. What the stalled subscriber
 * can cost is bounded by its queue (1024 events of ~150 bytes) and its
 * socket's buffer (past the 64 KiB high-water mark a write waits); the rest
 * is the garbage of thousands of short connections, which V8 keeps as heap
 * for a while. An unbounded queue would hold every event of the burst
 * (tens of thousands).
 */
const MAX_RSS_GROWTH_BYTES = 48 * 1024 * 1024;

const DROPPING = 'Dropping events: a subscriber is not reading';
const CLOSING = 'Closing a control connection: a subscriber still is not reading';

/** A raw control connection subscribed to `connections` and `log` that has read its subscribe reply and then stops reading. */
async function stalledSubscriber(path: string): Promise<{ socket: Socket; chunks: Buffer[] }> {
  const socket = connect(path);
  afterTest(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(encode([0, 1, 'subscribe', [{ topics: ['connections', 'log'] }]]));
  const [first] = (await once(socket, 'data')) as [Buffer];
  socket.pause();
  expect([...decodeMulti(first)][0]).toEqual([1, 1, null, { topics: ['connections', 'log'] }]);
  return { socket, chunks: [first] };
}

/** Makes echo connections to `server`, 32 at a time, until `done()` or the bound; `between` runs every 4 rounds. Resolves how many. */
async function burst(server: string, done: () => boolean, between: () => Promise<void>): Promise<number> {
  let connections = 0;
  while (!done() && connections < MAX_CONNECTIONS) {
    await Promise.all(Array.from({ length: CONCURRENT_CONNECTIONS }, () => echoOnce(server, Buffer.from('x'))));
    connections += CONCURRENT_CONNECTIONS;
    if (connections % (CONCURRENT_CONNECTIONS * 4) === 0) await between();
  }
  return connections;
}

/** Reads what the daemon sent until the connection ends. */
async function readToEnd(socket: Socket, chunks: Buffer[]): Promise<unknown[][]> {
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  await once(socket, 'close');
  return [...decodeMulti(Buffer.concat(chunks))] as unknown[][];
}

function recordPromise(daemon: DaemonProcess, msg: string): { record: LogRecord | undefined } {
  const seen: { record: LogRecord | undefined } = { record: undefined };
  void daemon.waitForRecord((record) => record.msg === msg).then((record) => (seen.record = record), () => {});
  return seen;
}

describe('a subscriber (connections, log) that does not read during a burst of connections to a hosted server', () => {
  it('overflows (the daemon writes dropped behind the bytes it has not read) and then is closed when it never reads, while other control clients are served and RSS stays bounded', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon();
    const other = await SpecClient.connect(daemon.socket);
    afterTest(() => other.close());
    await other.call('status');
    const rssBefore = daemon.rssBytes();
    const { socket, chunks } = await stalledSubscriber(daemon.socket);

    const closing = recordPromise(daemon, CLOSING);
    const statuses: unknown[] = [];
    const connections = await burst(daemon.servers[0]!, () => closing.record !== undefined, async () => void statuses.push(await other.call('status')));
    expect(closing.record).toBeDefined();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => (status as { pid: number }).pid === daemon.pid)).toBe(true);
    // The daemon's log tells the story of that session: first an overflow (a dropped notification written), then the close.
    const dropping = daemon.records.find((record) => record.msg === DROPPING);
    expect(dropping).toMatchObject({ session: closing.record!.session, count: 1025 });
    expect(daemon.records.indexOf(dropping!)).toBeLessThan(daemon.records.indexOf(closing.record!));

    // Reading now gets what reached its socket before the close, then the end of the stream.
    const messages = await readToEnd(socket, chunks);
    const kinds = new Set(messages.slice(1).map((message) => `${message[0]}:${message[1]}`));
    console.log(`never-reading subscriber: closed after ${connections} connections; ${messages.length - 1} messages had reached it (${[...kinds].join(', ')}); RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(daemon.rssBytes() / 2 ** 20).toFixed(1)} MiB`);
    expect([...kinds].every((kind) => kind === '2:event' || kind === '2:dropped')).toBe(true);

    expect(await other.call('status')).toMatchObject({ pid: daemon.pid });
    expect(daemon.rssBytes() - rssBefore).toBeLessThan(MAX_RSS_GROWTH_BYTES);
  });

  it('gets dropped with the count in place of the lost events when it reads again after the overflow, and stays connected', { timeout: 180_000 }, async () => {
    const daemon = await startDaemon();
    const { socket, chunks } = await stalledSubscriber(daemon.socket);
    const dropping = recordPromise(daemon, DROPPING);
    await burst(daemon.servers[0]!, () => dropping.record !== undefined, async () => {});
    expect(dropping.record).toMatchObject({ count: 1025 });

    // It reads again: everything queued drains, the dropped notification among it, then it still gets answers.
    socket.write(encode([0, 2, 'status', []]));
    socket.end();
    const messages = await readToEnd(socket, chunks);
    const dropped = messages.findIndex((message) => message[1] === 'dropped');
    expect(messages[dropped]).toEqual([2, 'dropped', [{ count: 1025 }]]);
    expect(messages.slice(1, dropped).every((message) => message[1] === 'event')).toBe(true);
    expect(messages.slice(dropped + 1).some((message) => message[1] === 'event')).toBe(true);
    expect(messages.find((message) => message[0] === 1 && message[1] === 2)).toMatchObject([1, 2, null, { pid: daemon.pid }]);
    expect(daemon.records.some((record) => record.msg === CLOSING)).toBe(false);
  });
});
