import { describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { PipeClient } from '@evergreen/pipe';
import { RpcClient } from '../src/ctl/rpc-client.js';
import { REPLY_LIMITS } from '../src/protocol/limits.js';
import { MessageDecoder } from '../src/protocol/message-decoder.js';
import { startServer, testMethods, until } from './helpers.js';

const FRAMES = 10_000;
const FRAMES_PER_CONNECTION = 5;
const CONCURRENT_CONNECTIONS = 16;
const SEED = 0x5eed_c0de;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function fuzzer(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const methods = ['hello', 'echo', 'typed', 'fail', 'refuse', 'subscribe', 'unsubscribe', 'nope', ''];

  const value = (depth: number): unknown => {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0: return null;
      case 1: return random() < 0.5;
      case 2: return int(2 ** 32) - 2 ** 31;
      case 3: return random() * 1e6 - 5e5;
      case 4: return 'é'.repeat(int(40)) + String(int(1000));
      case 5: return new Uint8Array(int(20)).map(() => int(256));
      case 6: return Array.from({ length: int(5) }, () => value(depth + 1));
      case 7: return Object.fromEntries(Array.from({ length: int(5) }, () => [pick(['value', 'servers', 'listen', 'topics', 'x', '__proto_']), value(depth + 1)]));
      default: return { servers: [{ listen: value(depth + 1) }], topics: [pick(['servers', 'log', 'other'])] };
    }
  };

  const request = (): Buffer => Buffer.from(encode([0, int(2 ** 32), pick(methods), random() < 0.8 ? [value(1)] : Array.from({ length: int(3) }, () => value(1))]));

  const hostile = (): Buffer =>
    pick([
      () => Buffer.from([0x94, 0x00, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff]),
      () => Buffer.from([...new Array(40).fill(0x91), 0x90]),
      () => Buffer.from([0x91, 0xd6, 0xff, 0, 0, 0, 0]),
      () => Buffer.concat([Buffer.from([0x91, 0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x01])]),
      () => Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      () => Buffer.from(encode(value(1))),
    ])();

  const mutate = (frame: Buffer): Buffer => {
    const bytes = Buffer.from(frame);
    switch (int(4)) {
      case 0:
        for (let i = 0; i < 1 + int(3); i++) bytes[int(bytes.length)] = int(256);
        return bytes;
      case 1:
        return bytes.subarray(0, int(bytes.length));
      case 2:
        return Buffer.concat([bytes.subarray(0, int(bytes.length)), Buffer.from([int(256)]), bytes]);
      default:
        return Buffer.from(Array.from({ length: int(64) }, () => int(256)));
    }
  };

  return (): Buffer => {
    const roll = random();
    if (roll < 0.5) return request();
    if (roll < 0.9) return mutate(request());
    return hostile();
  };
}

/** Sends `frames` on one connection, ends it, and reads every reply until the server closes. */
async function session(path: string, frames: Buffer[]): Promise<unknown[][]> {
  const conn = new PipeClient();
  try {
    await conn.connect(path);
    for (const frame of frames) conn.write(frame);
    conn.shutdown().catch(() => {});
    const bytes = await conn.readUntilClose().catch((error: { partial?: Buffer }) => error.partial ?? Buffer.alloc(0));
    const decoder = new MessageDecoder(REPLY_LIMITS);
    decoder.push(bytes);
    const replies: unknown[][] = [];
    for (let reply = decoder.next(); reply !== undefined; reply = decoder.next()) replies.push(reply);
    return replies;
  } finally {
    conn.close();
  }
}

describe('fuzzing the control server', () => {
  it(`survives ${FRAMES} random and mutated frames over many connections, and then answers hello`, async () => {
    const controls = { gates: new Map(), started: 0, handled: 0 };
    const { echo, typed, fail, refuse } = testMethods(controls);
    const { server, path } = await startServer({ methods: { echo: echo!, typed: typed!, fail: fail!, refuse: refuse! } });
    const next = fuzzer(generator(SEED));
    const batches = Array.from({ length: FRAMES / FRAMES_PER_CONNECTION }, () => Array.from({ length: FRAMES_PER_CONNECTION }, next));
    let replies = 0;
    for (let i = 0; i < batches.length; i += CONCURRENT_CONNECTIONS) {
      const results = await Promise.all(batches.slice(i, i + CONCURRENT_CONNECTIONS).map((frames) => session(path, frames)));
      for (const messages of results) {
        for (const message of messages) {
          // Every reply is a response or the error notification that precedes a close.
          expect(message[0] === 1 || (message[0] === 2 && message[1] === 'error')).toBe(true);
          replies++;
        }
      }
    }
    // Frames after a fatal one go unread; most still reach the handlers.
    expect(replies).toBeGreaterThan(FRAMES / 10);
    await until(() => server.connections === 0);
    const rpc = await RpcClient.connect(path);
    expect(await rpc.call('hello')).toMatchObject({ name: 'evergreend' });
    rpc.close();
  });
});
