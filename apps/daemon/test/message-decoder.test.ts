import { describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import { MessageDecoder } from '../src/protocol/message-decoder.js';
import { MAX_ARRAY_LENGTH, MAX_DEPTH, MAX_MAP_LENGTH, MAX_MESSAGE_BYTES, MAX_STRING_BYTES } from '../src/protocol/limits.js';
import { RpcErrorCode } from '../src/protocol/rpc-error.js';

const messages: unknown[][] = [
  [0, 1, 'hello', []],
  [0, 4_294_967_295, 'servers.add', [{ name: 'échø ✓', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, allow: ['10.0.0.0/8'], drainMs: 2 ** 40 }]],
  [2, 'event', [{ topic: 'log', bytes: new Uint8Array([0, 1, 255]), ratio: -1.5, big: -(2 ** 40), none: null, yes: true, s: 'x'.repeat(300) }]],
  [1, 7, null, { nested: [[[{ deep: [1, [2, [3]]] }]]], empty: {}, list: [] }],
];
const stream = Buffer.concat(messages.map((message) => encode(message)));

function decodeAll(decoder: MessageDecoder): unknown[][] {
  const out: unknown[][] = [];
  for (let message = decoder.next(); message !== undefined; message = decoder.next()) out.push(message);
  return out;
}

/** The decoded form: binaries come back as Buffers. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

function parseErrorOf(bytes: Buffer | number[]): Error & { code?: number; message: string } {
  const decoder = new MessageDecoder();
  decoder.push(Buffer.from(bytes));
  try {
    decodeAll(decoder);
  } catch (error) {
    return error as Error & { code?: number };
  }
  throw new Error('no error');
}

describe('MessageDecoder', () => {
  it('decodes a stream of messages split at every byte position into two chunks', () => {
    const expected = normalise(messages);
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new MessageDecoder();
      decoder.push(stream.subarray(0, split));
      const out = decodeAll(decoder);
      decoder.push(stream.subarray(split));
      out.push(...decodeAll(decoder));
      expect(normalise(out)).toEqual(expected);
      expect(decoder.buffered).toBe(0);
    }
  });

  it('decodes a stream fed one byte at a time, each message as soon as its last byte arrives', () => {
    const decoder = new MessageDecoder();
    const out: unknown[][] = [];
    const ends: number[] = [];
    for (let i = 0; i < stream.length; i++) {
      decoder.push(stream.subarray(i, i + 1));
      const got = decodeAll(decoder);
      if (got.length > 0) ends.push(i + 1);
      out.push(...got);
    }
    expect(normalise(out)).toEqual(normalise(messages));
    let end = 0;
    expect(ends).toEqual(messages.map((message) => (end += encode(message).length)));
  });

  it('scans a near-limit message fed one byte at a time once (each next() resumes where it stopped)', () => {
    const big = encode([0, 1, 'echo', [{ value: Array.from({ length: 3000 }, (_, i) => `item-${i}-${'y'.repeat(80)}`) }]]);
    expect(big.length).toBeGreaterThan(256 * 1024);
    const decoder = new MessageDecoder();
    let decoded: unknown[] | undefined;
    for (let i = 0; i < big.length; i++) {
      decoder.push(Buffer.from(big.subarray(i, i + 1)));
      decoded = decoder.next();
      if (i < big.length - 1 && decoded !== undefined) throw new Error(`decoded early, at byte ${i}`);
    }
    expect((decoded![3] as [{ value: string[] }])[0].value).toHaveLength(3000);
  });

  it('decodes maps with the key "__proto___" and "constructor" as plain own keys', () => {
    const decoder = new MessageDecoder();
    decoder.push(Buffer.from(encode([0, 1, 'x', [{ constructor: 1, __proto_: 2, ['__proto__x']: 3 }]])));
    const [params] = decoder.next()![3] as [Record<string, unknown>];
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.keys(params).sort()).toEqual(['__proto_', '__proto__x', 'constructor']);
  });

  describe('rejects before allocating', () => {
    it.each([
      ['a str32 of 4 GiB', [0x94, 0x00, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff]],
      ['a bin32 of 4 GiB', [0x94, 0x00, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff]],
      ['a str32 one byte over the string cap', [0x91, 0xdb, 0x00, 0x01, 0x00, 0x01]],
      ['an array32 of 4 G elements', [0x94, 0x00, 0x01, 0xa1, 0x78, 0xdd, 0xff, 0xff, 0xff, 0xff]],
      ['a top-level array32 of 4 G elements', [0xdd, 0xff, 0xff, 0xff, 0xff]],
      ['a map32 of 4 G entries', [0x94, 0x00, 0x01, 0xa1, 0x78, 0x91, 0xdf, 0xff, 0xff, 0xff, 0xff]],
    ])('%s, from its header alone', (_name, bytes) => {
      const error = parseErrorOf(bytes);
      expect(error.code).toBe(RpcErrorCode.PARSE_ERROR);
      expect(error.message).toMatch(/^Cannot decode the message: .*over the limit/);
    });

    it('an array one element over the cap, and accepts one at the cap', () => {
      expect(parseErrorOf([0xdc, (MAX_ARRAY_LENGTH + 1) >> 8, (MAX_ARRAY_LENGTH + 1) & 0xff]).message).toMatch(/array of 4097 elements/);
      const ok = new MessageDecoder();
      ok.push(Buffer.from(encode(new Array(MAX_ARRAY_LENGTH).fill(0))));
      expect(ok.next()).toHaveLength(MAX_ARRAY_LENGTH);
      expect(parseErrorOf([0x91, 0xde, (MAX_MAP_LENGTH + 1) >> 8, (MAX_MAP_LENGTH + 1) & 0xff]).message).toMatch(/map of 257 entries/);
    });

    it('a message whose announced strings add up past the message limit, before their bytes arrive', () => {
      const header = [0xdc, 0x00, 0x20];
      const decoder = new MessageDecoder();
      decoder.push(Buffer.from(header));
      const piece = Buffer.from(encode('z'.repeat(MAX_STRING_BYTES - 3)));
      let pushed = header.length;
      let error: Error | undefined;
      for (let i = 0; i < 32 && error === undefined; i++) {
        // Only the header of the string that crosses the limit is pushed: its payload never is.
        const crossing = pushed + piece.length > MAX_MESSAGE_BYTES;
        decoder.push(crossing ? piece.subarray(0, 3) : piece);
        pushed += crossing ? 3 : piece.length;
        try {
          decoder.next();
        } catch (caught) {
          error = caught as Error;
        }
      }
      expect(error?.message).toMatch(/longer than the limit of 1048576 bytes/);
      expect(pushed).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    });

    it('a message of more values than the cap', () => {
      const inner = Buffer.from(encode(new Array(15).fill(null)));
      const bytes = Buffer.concat([Buffer.from([0xdc, 0x10, 0x00]), ...new Array(4096).fill(inner)]);
      expect(parseErrorOf(bytes).message).toMatch(/more than 65536 values/);
    });
  });

  it('rejects nesting deeper than the cap and accepts nesting at the cap', () => {
    const nested = (depth: number) => Buffer.from([...new Array(depth - 1).fill(0x91), 0x90]);
    expect(parseErrorOf(nested(MAX_DEPTH + 1)).message).toMatch(/deeper than 32 levels/);
    const ok = new MessageDecoder();
    ok.push(nested(MAX_DEPTH));
    expect(ok.next()).toHaveLength(1);
  });

  it.each([
    ['fixext1 (msgpackr undefined)', [0x91, 0xd4, 0x00, 0x00]],
    ['a timestamp32', [0x91, 0xd6, 0xff, 0, 0, 0, 0]],
    ['ext8', [0x91, 0xc7, 0x01, 0x05, 0x00]],
    ['ext32', [0x91, 0xc9, 0, 0, 0, 1, 0x05, 0x00]],
    ['the never-used byte 0xc1', [0x91, 0xc1]],
  ])('rejects %s', (_name, bytes) => {
    expect(parseErrorOf(bytes).message).toMatch(/extension types|never used/);
  });

  it.each([
    ['stray text', Buffer.from('hello\n')],
    ['an HTTP probe', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['a map', Buffer.from(encode({ a: 1 }))],
    ['a number', Buffer.from([0x05])],
  ])('rejects %s at the first byte', (_name, bytes) => {
    const decoder = new MessageDecoder();
    decoder.push(bytes.subarray(0, 1));
    expect(() => decoder.next()).toThrow(/must be a MessagePack array/);
    // The stream cannot be resynchronised: it stays failed.
    decoder.push(Buffer.from(encode([0, 1, 'hello', []])));
    expect(() => decoder.next()).toThrow(/must be a MessagePack array/);
  });

  it('rejects the map key "__proto__" and keys that are not strings', () => {
    const proto = Buffer.concat([Buffer.from([0x91, 0x81, 0xa9]), Buffer.from('__proto__'), Buffer.from([0x01])]);
    expect(parseErrorOf(proto).message).toMatch(/"__proto__" is not allowed/);
    // Split right inside the key: it is checked once its bytes are all there.
    const decoder = new MessageDecoder();
    decoder.push(proto.subarray(0, 6));
    expect(decoder.next()).toBeUndefined();
    decoder.push(proto.subarray(6));
    expect(() => decoder.next()).toThrow(/__proto__/);
    expect(parseErrorOf([0x91, 0x81, 0x01, 0x02]).message).toMatch(/map keys must be strings/);
  });
});
