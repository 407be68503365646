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

  describe('bytes from memory the caller reuses', () => {
    it('pushCopy keeps a copy: overwriting the source changes nothing buffered', () => {
      const buffer = new ReadBuffer();
      const memory = Buffer.from('abcdef');
      buffer.pushCopy(memory, 0);
      memory.fill('x');
      expect(buffer.take(6).toString()).toBe('abcdef');
    });

    it('pushCopy fills the room it reserved, so bytes of several reads are taken without a second copy', () => {
      const buffer = new ReadBuffer();
      buffer.pushCopy(Buffer.from('abc'), 8);
      buffer.pushCopy(Buffer.from('defgh'), 0);
      buffer.pushCopy(Buffer.from('ij'), 0);
      const first = buffer.take(8);
      expect(first.toString()).toBe('abcdefgh');
      expect(buffer.take(2).toString()).toBe('ij');
      // One storage held the first eight bytes: the take was a view of it.
      expect(first.buffer.byteLength).toBeGreaterThanOrEqual(8);
    });

    it('a search resumed after the last chunk grew finds the delimiter where it is', () => {
      const buffer = new ReadBuffer();
      buffer.push(Buffer.from('head-'));
      buffer.pushCopy(Buffer.from('abc'), 64);
      expect(buffer.indexOf(Buffer.from('\n'), 0)).toBe(-1);
      buffer.pushCopy(Buffer.from('de\nf'), 0);
      expect(buffer.indexOf(Buffer.from('\n'), 7)).toBe(10);
      expect(buffer.take(11).toString()).toBe('head-abcde\n');
      expect(buffer.take(1).toString()).toBe('f');
    });

    it('lend hands out memory of its own; what the OS read there is taken in without a copy', () => {
      const buffer = new ReadBuffer();
      const lent = buffer.lend(16);
      lent.write('0123456789');
      const read = lent.subarray(0, 10);
      expect(buffer.isLent(read)).toBe(true);
      expect(buffer.isLent(Buffer.from('0123456789'))).toBe(false);
      buffer.commitLent(10);
      const again = buffer.lend(6);
      // The rest of the same storage: the next bytes continue the chunk.
      expect(again.buffer).toBe(lent.buffer);
      again.write('abcdef');
      buffer.commitLent(6);
      const all = buffer.take(16);
      expect(all.toString()).toBe('0123456789abcdef');
      expect(all.buffer).toBe(lent.buffer);
      // Emptied: nothing of it is lent again (views of it are out there).
      const fresh = buffer.lend(16);
      const overlaps = fresh.buffer === lent.buffer && fresh.byteOffset < lent.byteOffset + 16 && lent.byteOffset < fresh.byteOffset + 16;
      expect(overlaps).toBe(false);
    });

    it('lend never hands out room that a view given out covers', () => {
      const buffer = new ReadBuffer();
      buffer.lend(8).write('abcd');
      buffer.commitLent(4);
      const view = buffer.take(2);
      const next = buffer.lend(4);
      expect(next.byteOffset).toBeGreaterThanOrEqual(view.byteOffset + view.length);
      next.write('wxyz');
      buffer.commitLent(4);
      expect(view.toString()).toBe('ab');
      expect(buffer.take(6).toString()).toBe('cdwxyz');
    });

    it('unshift puts bytes back in front of the unread ones', () => {
      const buffer = bufferOf('abc', 'def');
      buffer.take(1);
      buffer.unshift(Buffer.from('XY'));
      expect(buffer.length).toBe(7);
      expect(buffer.indexOf(Buffer.from('c'), 0)).toBe(3);
      expect(buffer.take(7).toString()).toBe('XYbcdef');
    });
  });
});
