import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadBuffer } from '../src/index.js';
import { countSearchedBytes } from '../src/testing/index.js';

function bufferOf(...chunks: string[]): ReadBuffer {
  const buffer = new ReadBuffer();
  for (const chunk of chunks) buffer.push(Buffer.from(chunk));
  return buffer;
}

describe('ReadBuffer', () => {
  it('take inside one chunk is a zero-copy view of it', () => {
    const chunk = Buffer.from('hello world');
    const buffer = new ReadBuffer();
    buffer.push(chunk);
    const head = buffer.take(5);
    expect(head.toString()).toBe('hello');
    expect(head.buffer).toBe(chunk.buffer);
    expect(head.byteOffset).toBe(chunk.byteOffset);
    // A whole chunk comes back as the very same Buffer.
    buffer.take(1);
    const next = Buffer.from('next');
    buffer.take(buffer.length);
    buffer.push(next);
    expect(buffer.take(4)).toBe(next);
  });

  it('take across chunks copies once into a fresh Buffer', () => {
    const buffer = bufferOf('ab', 'cd', 'ef');
    expect(buffer.take(5).toString()).toBe('abcde');
    expect(buffer.length).toBe(1);
    expect(buffer.take(1).toString()).toBe('f');
  });

  it('indexOf finds a needle split across several chunks', () => {
    const buffer = bufferOf('xx\r', '\n', '-', '-\r\nyy');
    expect(buffer.indexOf(Buffer.from('\r\n--\r\n'), 0)).toBe(2);
    expect(buffer.indexOf(Buffer.from('yy'), 0)).toBe(8);
    expect(buffer.indexOf(Buffer.from('zz'), 0)).toBe(-1);
  });

  it('takeInto copies into the target and reports how many bytes', () => {
    const buffer = bufferOf('abc', 'def');
    const target = new Uint8Array(4);
    expect(buffer.takeInto(target)).toBe(4);
    expect(Buffer.from(target).toString()).toBe('abcd');
    expect(buffer.takeInto(target)).toBe(2);
    expect(buffer.length).toBe(0);
  });

  it('a search resumed from where the last one stopped scans each byte once', async () => {
    const buffer = new ReadBuffer();
    const needle = Buffer.from('\r\n\r\n');
    const { value: found, searched } = await countSearchedBytes(() => {
      let from = 0;
      for (let i = 0; i < 10_000; i++) {
        buffer.push(Buffer.alloc(100, 'a'));
        if (buffer.indexOf(needle, from) !== -1) return -2;
        from = buffer.length - needle.length + 1;
      }
      buffer.push(needle);
      return buffer.indexOf(needle, from);
    });
    expect(found).toBe(1_000_000);
    expect(searched).toBeLessThan(2 * 1_000_000);
  });

  it('indexOf and take agree with one concatenated Buffer for any chunking and search order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 20 }).map((a) => a.map((b) => b % 3)), { maxLength: 20 }),
        fc.uint8Array({ minLength: 1, maxLength: 4 }).map((a) => a.map((b) => b % 3)),
        fc.array(fc.tuple(fc.nat(60), fc.nat(10)), { maxLength: 10 }),
        (chunks, needle, steps) => {
          const buffer = new ReadBuffer();
          for (const chunk of chunks) buffer.push(Buffer.from(chunk));
          let whole = Buffer.concat(chunks.map((c) => Buffer.from(c)));
          for (const [from, takeCount] of steps) {
            expect(buffer.indexOf(needle, from)).toBe(from + needle.length > whole.length ? -1 : whole.indexOf(Buffer.from(needle), from));
            const n = Math.min(takeCount, whole.length);
            expect(buffer.take(n).equals(whole.subarray(0, n))).toBe(true);
            whole = whole.subarray(n);
            expect(buffer.length).toBe(whole.length);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
