import { describe, expect, it } from 'vitest';
import { StreamClosedError } from '../errors.js';
import { sha256, type StreamPairHarness } from './harness.js';

/** The end of the current turn of the event loop (after its ticks and microtasks). */
const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Write coalescing: the small writes of one turn of the event loop go to
 * the OS together, at its end, in order; `flush()`, `close()` and the
 * return value of `write()` keep their meaning.
 */
export function describeWrites(harness: StreamPairHarness): void {
  describe('write coalescing', () => {
    it('many small writes in one turn are held until its end, then arrive in order and intact', async () => {
      const pair = await harness.createPair();
      try {
        const records = Array.from({ length: 2000 }, (_, i) => `record ${i} ${'·'.repeat(i % 7)}\n`);
        const expected = Buffer.from(records.join(''));
        const received = pair.reader.readBytes(expected.length);
        let held = 0;
        // Strings and bytes mixed, with awaits between them: all of one turn.
        for (const [i, record] of records.entries()) {
          pair.writer.write(i % 2 === 0 ? record : Buffer.from(record));
          if (i % 100 === 0) await Promise.resolve();
          held += Buffer.byteLength(record);
        }
        // More than coalesceBytes: what exceeded it went out, the rest waits for the turn's end.
        expect(pair.writer.writableLength).toBeGreaterThan(0);
        expect(pair.writer.writableLength).toBeLessThanOrEqual(held);
        expect(sha256(await received)).toBe(sha256(expected));
        await pair.writer.flush();
        expect(pair.writer.writableLength).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('writableLength counts the bytes held this turn; they are sent at its end without a flush', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('held ');
        pair.writer.write(Buffer.from('together\n'));
        expect(pair.writer.writableLength).toBe(14);
        await turnEnd();
        expect((await pair.reader.readUntil('\n')).toString()).toBe('held together\n');
      } finally {
        await pair.close();
      }
    });

    it('a small write returns true and no longer needs its buffer: reusing it at once changes nothing sent', async () => {
      const pair = await harness.createPair();
      try {
        const reused = Buffer.from('original\n');
        expect(pair.writer.write(reused)).toBe(true);
        reused.fill('x');
        expect((await pair.reader.readUntil('\n')).toString()).toBe('original\n');
      } finally {
        await pair.close();
      }
    });

    it('flush() resolves only once every write, held ones included, was handed to the OS', async () => {
      const pair = await harness.createPair();
      try {
        for (let i = 0; i < 100; i++) pair.writer.write(`line ${i}\n`);
        await pair.writer.flush();
        expect(pair.writer.writableLength).toBe(0);
        // Handed to the OS: the peer gets them even if this end closes now.
        pair.writer.close();
        const received = await pair.reader.readUntilClose();
        expect(received.toString()).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
      } finally {
        await pair.close();
      }
    });

    it('coalesceBytes bounds what is held: a write that would pass it sends what is held first, a larger one goes at once', async () => {
      const pair = await harness.createPair({ writer: { coalesceBytes: 64 } });
      try {
        const small = Buffer.alloc(40, 'a');
        const large = Buffer.alloc(100, 'b');
        pair.writer.write(small);
        expect(pair.writer.writableLength).toBe(40);
        pair.writer.write(small);
        pair.writer.write(large);
        if (!harness.writesReportedLater) expect(pair.writer.writableLength).toBe(0);
        pair.writer.write('c\n');
        expect((await pair.reader.readUntil('\n')).equals(Buffer.concat([small, small, large, Buffer.from('c\n')]))).toBe(true);
      } finally {
        await pair.close();
      }
    });

    it('write after close() or reset() throws StreamClosedError; flush() rejects with it', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('dropped or not');
        pair.writer.reset();
        expect(() => pair.writer.write('late')).toThrow(StreamClosedError);
        expect(() => pair.writer.write('late')).toThrow(harness.errorClass);
        await expect(pair.writer.flush()).rejects.toBeInstanceOf(StreamClosedError);
        pair.reader.close();
        expect(() => pair.reader.write('late')).toThrow(StreamClosedError);
        await expect(pair.reader.flush()).rejects.toBeInstanceOf(StreamClosedError);
      } finally {
        await pair.close();
      }
    });
  });
}

/** What only a two-way channel can show: a socket error on the held writes of a turn. */
export function describeTwoWayWrites(harness: StreamPairHarness): void {
  describe('write coalescing, two-way', () => {
    it('an error from the socket fails the held writes and flush(); later writes throw', async () => {
      const pair = await harness.createPair();
      try {
        pair.reader.close();
        // The peer's close arrived: the next writes to it fail (EPIPE, or ECONNRESET then EPIPE).
        expect((await pair.writer.readBytes(1)).length).toBe(0);
        let error: unknown;
        for (let attempt = 0; attempt < 50 && error === undefined; attempt++) {
          for (let i = 0; i < 10; i++) pair.writer.write(`held ${i}\n`);
          error = await pair.writer.flush().then(
            () => undefined,
            (e: unknown) => e,
          );
        }
        expect(error).toBeInstanceOf(harness.errorClass);
        expect(['EPIPE', 'ECONNRESET']).toContain(((error as Error & { code?: string }).code ?? ((error as Error).cause as { code?: string } | undefined)?.code));
        expect(pair.writer.closed).toBe(true);
        expect(pair.writer.writableLength).toBe(0);
        expect(() => pair.writer.write('more')).toThrow(StreamClosedError);
        await expect(pair.writer.flush()).rejects.toBeInstanceOf(StreamClosedError);
      } finally {
        await pair.close();
      }
    });
  });
}
