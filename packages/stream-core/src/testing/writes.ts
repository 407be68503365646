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

    it('the first small write of a turn goes at once; the later ones are held, counted in writableLength, and sent at its end without a flush', async () => {
      const pair = await harness.createPair();
      try {
        // Nothing unread: a lone reply is not delayed.
        pair.writer.write('sent, ');
        const sent = pair.writer.writableLength;
        if (!harness.writesReportedLater) expect(sent).toBe(0);
        pair.writer.write('held ');
        pair.writer.write(Buffer.from('together\n'));
        expect(pair.writer.writableLength).toBe(sent + 14);
        await turnEnd();
        expect((await pair.reader.readUntil('\n')).toString()).toBe('sent, held together\n');
      } finally {
        await pair.close();
      }
    });

    it('a small write that returns true no longer needs its buffer: reusing it at once changes nothing sent', async () => {
      const pair = await harness.createPair();
      try {
        const first = Buffer.from('first\n');
        const held = Buffer.from('held\n');
        // The first goes to the transport at once, the second is copied.
        const firstTaken = pair.writer.write(first);
        if (!harness.writesReportedLater) expect(firstTaken).toBe(true);
        if (firstTaken) first.fill('x');
        expect(pair.writer.write(held)).toBe(firstTaken);
        held.fill('x');
        expect((await pair.reader.readBytes(11)).toString()).toBe('first\nheld\n');
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
        pair.writer.write('>'); // the turn's first: sent at once
        const sent = pair.writer.writableLength;
        pair.writer.write(small);
        expect(pair.writer.writableLength).toBe(sent + 40);
        pair.writer.write(small);
        pair.writer.write(large);
        if (!harness.writesReportedLater) expect(pair.writer.writableLength).toBe(0);
        pair.writer.write('c\n');
        expect((await pair.reader.readUntil('\n')).equals(Buffer.concat([Buffer.from('>'), small, small, large, Buffer.from('c\n')]))).toBe(true);
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
    it('while requests are still unread, even the first reply of a turn is held: pipelined replies go out together', async () => {
      const pair = await harness.createPair();
      try {
        pair.reader.write('a\nb\n');
        for (let attempt = 0; attempt < 100 && pair.writer.readableLength < 4; attempt++) {
          await pair.writer.readable();
          if (pair.writer.readableLength < 4) await turnEnd();
        }
        expect((await pair.writer.readUntil('\n')).toString()).toBe('a\n');
        pair.writer.write('reply a\n');
        expect(pair.writer.writableLength).toBe(8);
        expect((await pair.writer.readUntil('\n')).toString()).toBe('b\n');
        // Nothing unread now, but a reply is already held: this one joins it.
        pair.writer.write('reply b\n');
        expect(pair.writer.writableLength).toBe(16);
        await turnEnd();
        expect((await pair.reader.readBytes(16)).toString()).toBe('reply a\nreply b\n');
      } finally {
        await pair.close();
      }
    });

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
