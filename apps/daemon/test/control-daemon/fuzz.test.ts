import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeMulti, encode } from '@msgpack/msgpack';
import { startDaemon } from './daemon-process.js';
import { SpecClient } from './spec-client.js';
import { echoOnce } from './tcp-peer.js';

const FRAMES = 10_000;
const FRAMES_PER_CONNECTION = 8;
const CONCURRENT_CONNECTIONS = 16;
const SEED = 0x0dae_0017;
/** Bounds the run (not a speed assertion): no new connection starts after this, so the frame count below would fail. */
const RUN_BOUND_MS = 150_000;
/** A connection that has not been closed this long after its last frame is destroyed (and counted). */
const SESSION_BOUND_MS = 15_000;
/**
 * How much the daemon's RSS may grow over the run: 80 MiB. At most 16
 * connections are open at once, and each can make the daemon hold at most
 * one 1 MiB message, 64 KiB of unread socket bytes and 64 outstanding
 * replies of a few KiB: under 20 MiB together. The rest is V8's: it keeps
 * the heap it grew and returns freed pages lazily. Measured here: +44 MiB
 * after 10 000 frames and +55 MiB after 40 000, so the growth levels off;
 * a leak of what each frame or connection costs would grow with the count.
 */
const MAX_RSS_GROWTH_BYTES = 80 * 1024 * 1024;

const SERVER_NAMES = ['fz-0', 'fz-1', 'fz-2', 'fz-3'];
const DOCUMENTED_CODES = new Set([-32700, -32600, -32601, -32602, -32001, -32002, -32003, -32004, -32005, -32006]);

/** mulberry32: a small seeded generator, so a failure replays. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * Frames built from the daemon's real methods: valid requests, requests
 * with wrong types, byte-level mutations and hostile headers. A connection
 * gets either well-formed requests only (each answered, many with an
 * error: the method handlers are exercised) or anything (the first undecodable frame
 * ends it: the decoder and the limits are exercised).
 */
function fuzzer(random: () => number): (wellFormed: boolean) => Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const name = () => pick(SERVER_NAMES);
  // Every method but shutdown (which would end the run); servers are named fz-*, never the echo server checked afterwards.
  const requests: (() => [string, unknown[]])[] = [
    () => [pick(['status', 'hello', 'servers.list', 'stats', 'config.get', 'unsubscribe']), []],
    () => ['servers.add', [{ name: name(), listen: 'tcp://127.0.0.1:0', handler: { type: pick(['echo', 'discard']) }, maxConnections: 1 + int(100), drainMs: 0 }]],
    () => ['servers.update', [{ name: name(), maxConnections: 1 + int(10), allow: ['127.0.0.1/32', '::1'], idleTimeoutMs: null }]],
    () => ['servers.remove', [{ name: name(), drainMs: 0 }]],
    () => ['servers.pause', [{ name: name(), mode: pick(['unbind', 'refuse']) }]],
    () => ['servers.resume', [{ name: name() }]],
    () => ['connections.list', [{ server: pick(['echo', ...SERVER_NAMES]), offset: int(3), limit: 1 + int(50) }]],
    () => ['connections.close', [{ id: `${name()}-${int(100)}` }]],
    () => ['config.reload', [{ dryRun: true }]],
    () => ['log.setLevel', [{ level: 'info' }]],
    () => ['subscribe', [{ topics: [pick(['servers', 'connections', 'log'])] }]],
  ];
  const request = (): unknown[] => {
    const [method, params] = pick(requests)();
    return [0, int(2 ** 32), method, params];
  };

  const anyValue = (depth = 0): unknown =>
    pick<() => unknown>([
      () => null,
      () => random() < 0.5,
      () => int(2 ** 33) - 2 ** 32,
      () => random() * 1e9,
      () => 'ü'.repeat(int(20)),
      () => new Uint8Array(int(16)),
      () => (depth > 2 ? [] : Array.from({ length: int(4) }, () => anyValue(depth + 1))),
      () => (depth > 2 ? {} : { name: anyValue(depth + 1), listen: anyValue(depth + 1), x: anyValue(depth + 1) }),
    ])();
  const nested = (levels: number): unknown => (levels === 0 ? {} : [nested(levels - 1)]);

  /** A request with one part of the wrong type or shape; `answerable`: its msgid and type stay valid (it gets a response). */
  const wrongTypes = (answerable: boolean): unknown[] => {
    const message = request();
    const options = (message[3] as Record<string, unknown>[])[0];
    switch (answerable ? 1 + int(5) : int(7)) {
      case 0: message[1] = pick([-1, 2 ** 32, 2 ** 53, 1.5, 'seven', null]); break;
      case 1: message[2] = pick([42, null, true, 'x'.repeat(300), '']); break;
      case 2: message[3] = pick<unknown>([{}, 'params', 7, [options, options], [[options]]]); break;
      case 3: if (options !== undefined) options[pick(Object.keys(options).concat('extra'))] = anyValue(); break;
      case 4: if (options !== undefined) delete options[pick(Object.keys(options))]; break;
      case 5: message[3] = [nested(answerable ? 20 + int(10) : 25 + int(15))]; break;
      default: message[0] = pick([1, 2, 3, -1, 'zero']);
    }
    if (random() < 0.1) message.push(anyValue());
    return message;
  };

  const mutated = (frame: Buffer): Buffer => {
    const bytes = Buffer.from(frame);
    switch (int(4)) {
      case 0:
        for (let i = 0, n = 1 + int(4); i < n; i++) bytes[int(bytes.length)] ^= 1 << int(8);
        return bytes;
      case 1:
        return bytes.subarray(0, int(bytes.length));
      case 2:
        return Buffer.concat([bytes.subarray(0, int(bytes.length)), Buffer.from([int(256)]), bytes]);
      default:
        bytes[int(bytes.length)] = int(256);
        return bytes;
    }
  };

  const hostile = (): Buffer =>
    pick<() => Buffer>([
      // Huge declared lengths: str32, array32, map32, bin32 near 4 GiB, and just past each limit.
      () => Buffer.from([0x94, 0x00, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff]),
      () => Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]),
      () => Buffer.from([0x94, 0x00, 0x02, 0xa6, ...Buffer.from('status'), 0x91, 0xdf, 0x7f, 0xff, 0xff, 0xff]),
      () => Buffer.from([0x94, 0x00, 0x03, 0xa6, ...Buffer.from('status'), 0x91, 0xc6, 0x00, 0x01, 0x00, 0x01]),
      () => Buffer.from([0x94, 0x00, 0x04, 0xa6, ...Buffer.from('status'), 0xdc, 0x10, 0x01]),
      () => Buffer.from([0x94, 0x00, 0x05, 0xa6, ...Buffer.from('status'), 0x91, 0xde, 0x01, 0x01]),
      // Deep nesting, extension types, the never-used byte, a __proto__ key, text.
      () => Buffer.from([...new Array(40).fill(0x91), 0x90]),
      () => Buffer.from([0x94, 0x00, 0x06, 0xa6, ...Buffer.from('status'), 0x91, 0xd6, 0xff, 0, 0, 0, 0]),
      () => Buffer.from([0x94, 0x00, 0x07, 0xc1]),
      () => Buffer.concat([Buffer.from([0x94, 0x00, 0x08, 0xa6]), Buffer.from('status'), Buffer.from([0x91, 0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x01])]),
      () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      () => Buffer.from(Array.from({ length: 1 + int(256) }, () => int(256))),
      // Big but within the limits (a 60 KiB string, a 4096-element allow list), and rarely one over 1 MiB.
      () => Buffer.from(encode([0, int(100), 'status', [{ note: 'x'.repeat(60_000) }]])),
      () => Buffer.from(encode([0, int(100), 'servers.update', [{ name: name(), allow: new Array(4096).fill('10.0.0.0/8') }]])),
      () => (random() < 0.1 ? Buffer.from(encode([0, 1, 'status', new Array(17).fill(new Uint8Array(64 * 1024))])) : Buffer.from(encode(request()))),
    ])();

  return (wellFormed) => {
    const roll = random();
    if (wellFormed) return Buffer.from(encode(roll < 0.6 ? request() : wrongTypes(true)));
    if (roll < 0.3) return Buffer.from(encode(request()));
    if (roll < 0.55) return Buffer.from(encode(wrongTypes(false)));
    if (roll < 0.85) return mutated(Buffer.from(encode(random() < 0.8 ? request() : wrongTypes(false))));
    return hostile();
  };
}

/** Sends `frames` on one connection, ends it, and resolves every message the daemon sent before it closed. */
function session(path: string, frames: Buffer[]): Promise<{ messages: unknown[]; stuck: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let stuck = false;
    const timer = setTimeout(() => {
      stuck = true;
      socket.destroy();
    }, SESSION_BOUND_MS);
    socket.on('connect', () => {
      for (const frame of frames) socket.write(frame);
      socket.end();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ messages: [...decodeMulti(Buffer.concat(chunks))], stuck });
    });
  });
}

/** True for what the daemon may send: a response with a documented code, or a notification it defines. */
function expectedMessage(message: unknown): boolean {
  if (!Array.isArray(message)) return false;
  if (message[0] === 1) return message.length === 4 && (message[2] === null || DOCUMENTED_CODES.has((message[2] as { code: number }).code));
  if (message[0] !== 2) return false;
  if (message[1] === 'error') return [-32700, -32600, -32003].includes((message[2] as { code: number }[])[0]!.code);
  return message[1] === 'event' || message[1] === 'dropped';
}

describe('fuzzing a running evergreend over its control socket', () => {
  it(`survives ${FRAMES} random and mutated frames of its real methods over many connections, then still answers status, still echoes, and its RSS stays bounded`, { timeout: 240_000 }, async () => {
    const daemon = await startDaemon();
    const warm = await SpecClient.connect(daemon.socket);
    await warm.call('status');
    warm.close();
    const rssBefore = daemon.rssBytes();

    const next = fuzzer(generator(SEED));
    const deadline = Date.now() + RUN_BOUND_MS;
    let sent = 0;
    let stuck = 0;
    const unexpected: unknown[] = [];
    const counts = { responses: 0, errors: 0, fatal: 0 };
    while (sent < FRAMES && Date.now() < deadline) {
      const batch = Array.from({ length: CONCURRENT_CONNECTIONS }, (_, i) => Array.from({ length: FRAMES_PER_CONNECTION }, () => next(i % 2 === 0)));
      sent += CONCURRENT_CONNECTIONS * FRAMES_PER_CONNECTION;
      for (const result of await Promise.all(batch.map((frames) => session(daemon.socket, frames)))) {
        if (result.stuck) stuck++;
        for (const message of result.messages) {
          if (!expectedMessage(message)) unexpected.push(message);
          const [type, , error] = message as unknown[];
          if (type === 1) counts[error === null ? 'responses' : 'errors']++;
          else counts.fatal++;
        }
      }
    }
    expect(sent).toBeGreaterThanOrEqual(FRAMES);
    expect(unexpected).toEqual([]);
    expect(stuck).toBe(0);
    // Valid requests and recoverable errors are answered; frames after a fatal one go unread.
    expect(counts.responses).toBeGreaterThan(FRAMES / 10);
    expect(counts.errors).toBeGreaterThan(FRAMES / 10);
    expect(counts.fatal).toBeGreaterThan(FRAMES / 20);

    const rpc = await SpecClient.connect(daemon.socket);
    expect(await rpc.call('status')).toMatchObject({ name: 'evergreend', pid: daemon.pid });
    rpc.close();
    expect((await echoOnce(daemon.servers[0]!, Buffer.from('still echoing'))).toString()).toBe('still echoing');
    const rssAfter = daemon.rssBytes();
    console.log(`fuzz: ${sent} frames, ${counts.responses} results, ${counts.errors} error replies, ${counts.fatal} closing notifications; RSS ${(rssBefore / 2 ** 20).toFixed(1)} -> ${(rssAfter / 2 ** 20).toFixed(1)} MiB`);
    expect(rssAfter - rssBefore).toBeLessThan(MAX_RSS_GROWTH_BYTES);
  });
});
