import { describe, expect, it } from 'vitest';
import { IncompleteReadError, LimitExceededError, StreamClosedError, StreamError } from '../errors.js';
import { countSearchedBytes, sha256 as digest, until, type StreamPairHarness } from './harness.js';

/** Reads: every read kind, `readable()`, delimiters at chunk boundaries, EOF, limits, order, abort. */
export function describeReads(harness: StreamPairHarness): void {
  describe('reads', () => {
    it('finds a multi-byte delimiter split across chunks at every offset', async () => {
      const pair = await harness.createPair();
      try {
        const record = Buffer.from('head\r\n--boundary\r\n');
        for (let cut = 1; cut < record.length; cut++) {
          pair.writer.write(record.subarray(0, cut));
          // The second part is sent only once the first has arrived: two chunks.
          await until(() => pair.reader.readableLength === cut, 'the first part to arrive');
          pair.writer.write(record.subarray(cut));
          expect((await pair.reader.readUntil('\r\n--boundary\r\n')).toString()).toBe(record.toString());
        }
      } finally {
        await pair.close();
      }
    });

    it('readBytes resolves exactly n bytes, partial as soon as any, and what is left at EOF', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('abcdefgh');
        expect((await pair.reader.readBytes(3)).toString()).toBe('abc');
        expect((await pair.reader.readBytes(100, { partial: true })).toString()).toBe('defgh');
        pair.writer.write('xyz');
        await pair.writer.shutdown();
        expect((await pair.reader.readBytes(10)).toString()).toBe('xyz');
        expect((await pair.reader.readBytes(10)).length).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('EOF with a partial record rejects IncompleteReadError holding the bytes', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('one\ntwo');
        await pair.writer.shutdown();
        expect((await pair.reader.readUntil('\n')).toString()).toBe('one\n');
        const error = await pair.reader.readUntil('\n').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IncompleteReadError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect((error as IncompleteReadError).partial.toString()).toBe('two');
        expect((await pair.reader.readUntil('\n')).length).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('readUntilRegex resolves up to the end of the first match', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nbody');
        const head = await pair.reader.readUntilRegex(/\r\n\r\n/g);
        expect(head.toString()).toBe('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        expect((await pair.reader.readBytes(4)).toString()).toBe('body');
      } finally {
        await pair.close();
      }
    });

    it('readUntilClose returns everything until the peer ends, intact', async () => {
      const pair = await harness.createPair();
      try {
        const payload = Buffer.alloc(3 * 1024 * 1024, 'evergreen');
        const received = pair.reader.readUntilClose();
        pair.writer.write(payload);
        await pair.writer.shutdown();
        expect(digest(await received)).toBe(digest(payload));
      } finally {
        await pair.close();
      }
    });

    it('readInto fills the target, or part of it with partial, and returns 0 at EOF', async () => {
      const pair = await harness.createPair();
      try {
        const target = new Uint8Array(4);
        pair.writer.write('abcdef');
        expect(await pair.reader.readInto(target)).toBe(4);
        expect(Buffer.from(target).toString()).toBe('abcd');
        expect(await pair.reader.readInto(target, { partial: true })).toBe(2);
        expect(Buffer.from(target.subarray(0, 2)).toString()).toBe('ef');
        await pair.writer.shutdown();
        expect(await pair.reader.readInto(target)).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('records() yields batches of every buffered record, in order, until EOF', async () => {
      const pair = await harness.createPair();
      try {
        const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`);
        pair.writer.write(lines.join(''));
        await pair.writer.shutdown();
        const seen: string[] = [];
        let largestBatch = 0;
        for await (const batch of pair.reader.records('\n')) {
          largestBatch = Math.max(largestBatch, batch.length);
          for (const record of batch) seen.push(record.toString());
        }
        expect(seen).toEqual(lines);
        expect(largestBatch).toBeGreaterThan(1);
      } finally {
        await pair.close();
      }
    });

    it('records() throws IncompleteReadError for a partial last record', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('a\nb\nc');
        await pair.writer.shutdown();
        const seen: string[] = [];
        const error = await (async () => {
          for await (const batch of pair.reader.records('\n')) seen.push(...batch.map(String));
        })().catch((e: unknown) => e);
        expect(seen).toEqual(['a\n', 'b\n']);
        expect(error).toBeInstanceOf(IncompleteReadError);
        expect((error as IncompleteReadError).partial.toString()).toBe('c');
      } finally {
        await pair.close();
      }
    });

    it('serves concurrent reads in call order', async () => {
      const pair = await harness.createPair();
      try {
        const reads = [pair.reader.readBytes(3), pair.reader.readUntil('\n'), pair.reader.readBytes(2), pair.reader.readUntil('!')];
        pair.writer.write('abc');
        pair.writer.write('def\nghij!');
        expect((await Promise.all(reads)).map(String)).toEqual(['abc', 'def\n', 'gh', 'ij!']);
      } finally {
        await pair.close();
      }
    });

    it('an aborted read consumes nothing: the bytes stay for the next read', async () => {
      const pair = await harness.createPair();
      try {
        const controller = new AbortController();
        const pending = pair.reader.readUntil('\n', { signal: controller.signal });
        pair.writer.write('abc');
        await until(() => pair.reader.readableLength === 3, 'the bytes to arrive');
        const reason = new Error('stop');
        controller.abort(reason);
        await expect(pending).rejects.toBe(reason);
        pair.writer.write('def\n');
        expect((await pair.reader.readUntil('\n')).toString()).toBe('abcdef\n');
        const timedOut = await pair.reader.readBytes(1, { signal: AbortSignal.timeout(20) }).catch((e: unknown) => e);
        expect((timedOut as Error).name).toBe('TimeoutError');
        pair.writer.write('z');
        expect((await pair.reader.readBytes(1)).toString()).toBe('z');
      } finally {
        await pair.close();
      }
    });

    it('readable() waits for bytes and consumes none: the next read gets them', async () => {
      const pair = await harness.createPair();
      try {
        let ready = false;
        const readable = pair.reader.readable().then(() => (ready = true));
        // Several turns with nothing sent: it still waits.
        for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
        expect(ready).toBe(false);
        pair.writer.write('abc');
        await readable;
        expect(pair.reader.readableLength).toBeGreaterThan(0);
        // Bytes buffered already: it resolves without waiting, and still takes none.
        await until(() => pair.reader.readableLength === 3, 'the bytes to arrive');
        await pair.reader.readable();
        expect((await pair.reader.readBytes(3)).toString()).toBe('abc');
      } finally {
        await pair.close();
      }
    });

    it('readable() resolves at end of stream, after which reads report the end', async () => {
      const pair = await harness.createPair();
      try {
        const readable = pair.reader.readable();
        await pair.writer.shutdown();
        await readable;
        expect(pair.reader.readableLength).toBe(0);
        await pair.reader.readable();
        expect((await pair.reader.readBytes(1)).length).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('readable() waits behind reads called before it, is aborted consuming nothing, and rejects once closed', async () => {
      const pair = await harness.createPair();
      try {
        const first = pair.reader.readBytes(3);
        const readable = pair.reader.readable();
        pair.writer.write('abcd');
        expect((await first).toString()).toBe('abc');
        await readable;
        expect(pair.reader.readableLength).toBe(1);
        expect((await pair.reader.readBytes(1)).toString()).toBe('d');

        const controller = new AbortController();
        const aborted = pair.reader.readable({ signal: controller.signal });
        const reason = new Error('stop');
        controller.abort(reason);
        await expect(aborted).rejects.toBe(reason);
        pair.writer.write('e');
        expect((await pair.reader.readBytes(1)).toString()).toBe('e');

        const pending = pair.reader.readable();
        pair.reader.close();
        await expect(pending).rejects.toBeInstanceOf(StreamClosedError);
        await expect(pair.reader.readable()).rejects.toBeInstanceOf(harness.errorClass);
      } finally {
        await pair.close();
      }
    });

    it('a record over maxBytes rejects LimitExceededError and leaves the bytes buffered', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('0123456789\nrest\n');
        await until(() => pair.reader.readableLength === 16, 'the bytes to arrive');
        const error = await pair.reader.readUntil('\n', { maxBytes: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LimitExceededError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect(error).toBeInstanceOf(StreamError);
        expect((await pair.reader.readUntil('\n', { maxBytes: 11 })).toString()).toBe('0123456789\n');
        expect((await pair.reader.readUntil('\n', { maxBytes: 5 })).toString()).toBe('rest\n');
      } finally {
        await pair.close();
      }
    });

    it('finds a long record in linear time: each byte is scanned about once', async () => {
      const pair = await harness.createPair();
      const recordBytes = 4 * 1024 * 1024;
      try {
        // The record arrives in many chunks: a rescanning reader would search O(n²/chunk) bytes.
        const { value: record, searched } = await countSearchedBytes(async () => {
          const record = pair.reader.readUntil('\r\n\r\n');
          for (let sent = 0; sent < recordBytes; sent += 16 * 1024) {
            pair.writer.write(Buffer.alloc(16 * 1024, 'a'));
            await pair.writer.flush();
          }
          pair.writer.write('\r\n\r\n');
          return record;
        });
        expect(record.length).toBe(recordBytes + 4);
        expect(searched).toBeLessThan(3 * recordBytes);
      } finally {
        await pair.close();
      }
    });
  });
}
