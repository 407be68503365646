import { describe, expect, it } from 'vitest';
import { IncompleteReadError, LimitExceededError, StreamError } from '../errors.js';
import { connectPair, countSearchedBytes, sha256 as digest, until, type StreamTransportHarness } from './harness.js';

/** Reads: every read kind, delimiters at chunk boundaries, EOF, limits, order, abort. */
export function describeReads<A>(harness: StreamTransportHarness<A>): void {
  describe('reads', () => {
    it('echoes lines through a server that loops on readUntil', async () => {
      const server = harness.createServer(async (conn) => {
        for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
      });
      await server.bind(harness.bindAddress());
      void server.serve();
      const client = harness.createClient();
      try {
        await harness.connect(client, harness.connectAddress(server));
        for (const line of ['hello\n', 'wörld\n', `${'x'.repeat(100_000)}\n`]) {
          client.write(line);
          expect((await client.readUntil('\n')).toString()).toBe(line);
        }
        await client.shutdown();
        expect((await client.readBytes(1)).length).toBe(0);
      } finally {
        client.close();
        await server.close();
      }
    });

    it('finds a multi-byte delimiter split across chunks at every offset', async () => {
      const pair = await connectPair(harness);
      try {
        const record = Buffer.from('head\r\n--boundary\r\n');
        for (let cut = 1; cut < record.length; cut++) {
          pair.client.write(record.subarray(0, cut));
          // The second part is sent only once the first has arrived: two chunks.
          await until(() => pair.conn.readableLength === cut, 'the first part to arrive');
          pair.client.write(record.subarray(cut));
          expect((await pair.conn.readUntil('\r\n--boundary\r\n')).toString()).toBe(record.toString());
        }
      } finally {
        await pair.close();
      }
    });

    it('readBytes resolves exactly n bytes, partial as soon as any, and what is left at EOF', async () => {
      const pair = await connectPair(harness);
      try {
        pair.client.write('abcdefgh');
        expect((await pair.conn.readBytes(3)).toString()).toBe('abc');
        expect((await pair.conn.readBytes(100, { partial: true })).toString()).toBe('defgh');
        pair.client.write('xyz');
        await pair.client.shutdown();
        expect((await pair.conn.readBytes(10)).toString()).toBe('xyz');
        expect((await pair.conn.readBytes(10)).length).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('EOF with a partial record rejects IncompleteReadError holding the bytes', async () => {
      const pair = await connectPair(harness);
      try {
        pair.client.write('one\ntwo');
        await pair.client.shutdown();
        expect((await pair.conn.readUntil('\n')).toString()).toBe('one\n');
        const error = await pair.conn.readUntil('\n').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(IncompleteReadError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect((error as IncompleteReadError).partial.toString()).toBe('two');
        expect((await pair.conn.readUntil('\n')).length).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('readUntilRegex resolves up to the end of the first match', async () => {
      const pair = await connectPair(harness);
      try {
        pair.client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nbody');
        const head = await pair.conn.readUntilRegex(/\r\n\r\n/g);
        expect(head.toString()).toBe('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        expect((await pair.conn.readBytes(4)).toString()).toBe('body');
      } finally {
        await pair.close();
      }
    });

    it('readUntilClose returns everything until the peer ends, intact', async () => {
      const pair = await connectPair(harness);
      try {
        const payload = Buffer.alloc(3 * 1024 * 1024, 'evergreen');
        const received = pair.conn.readUntilClose();
        pair.client.write(payload);
        await pair.client.shutdown();
        expect(digest(await received)).toBe(digest(payload));
      } finally {
        await pair.close();
      }
    });

    it('readInto fills the target, or part of it with partial, and returns 0 at EOF', async () => {
      const pair = await connectPair(harness);
      try {
        const target = new Uint8Array(4);
        pair.client.write('abcdef');
        expect(await pair.conn.readInto(target)).toBe(4);
        expect(Buffer.from(target).toString()).toBe('abcd');
        expect(await pair.conn.readInto(target, { partial: true })).toBe(2);
        expect(Buffer.from(target.subarray(0, 2)).toString()).toBe('ef');
        await pair.client.shutdown();
        expect(await pair.conn.readInto(target)).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('records() yields batches of every buffered record, in order, until EOF', async () => {
      const pair = await connectPair(harness);
      try {
        const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`);
        pair.client.write(lines.join(''));
        await pair.client.shutdown();
        const seen: string[] = [];
        let largestBatch = 0;
        for await (const batch of pair.conn.records('\n')) {
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
      const pair = await connectPair(harness);
      try {
        pair.client.write('a\nb\nc');
        await pair.client.shutdown();
        const seen: string[] = [];
        const error = await (async () => {
          for await (const batch of pair.conn.records('\n')) seen.push(...batch.map(String));
        })().catch((e: unknown) => e);
        expect(seen).toEqual(['a\n', 'b\n']);
        expect(error).toBeInstanceOf(IncompleteReadError);
        expect((error as IncompleteReadError).partial.toString()).toBe('c');
      } finally {
        await pair.close();
      }
    });

    it('serves concurrent reads in call order', async () => {
      const pair = await connectPair(harness);
      try {
        const reads = [pair.conn.readBytes(3), pair.conn.readUntil('\n'), pair.conn.readBytes(2), pair.conn.readUntil('!')];
        pair.client.write('abc');
        pair.client.write('def\nghij!');
        expect((await Promise.all(reads)).map(String)).toEqual(['abc', 'def\n', 'gh', 'ij!']);
      } finally {
        await pair.close();
      }
    });

    it('an aborted read consumes nothing: the bytes stay for the next read', async () => {
      const pair = await connectPair(harness);
      try {
        const controller = new AbortController();
        const pending = pair.conn.readUntil('\n', { signal: controller.signal });
        pair.client.write('abc');
        await until(() => pair.conn.readableLength === 3, 'the bytes to arrive');
        const reason = new Error('stop');
        controller.abort(reason);
        await expect(pending).rejects.toBe(reason);
        pair.client.write('def\n');
        expect((await pair.conn.readUntil('\n')).toString()).toBe('abcdef\n');
        const timedOut = await pair.conn.readBytes(1, { signal: AbortSignal.timeout(20) }).catch((e: unknown) => e);
        expect((timedOut as Error).name).toBe('TimeoutError');
        pair.client.write('z');
        expect((await pair.conn.readBytes(1)).toString()).toBe('z');
      } finally {
        await pair.close();
      }
    });

    it('a record over maxBytes rejects LimitExceededError and leaves the bytes buffered', async () => {
      const pair = await connectPair(harness);
      try {
        pair.client.write('0123456789\nrest\n');
        await until(() => pair.conn.readableLength === 16, 'the bytes to arrive');
        const error = await pair.conn.readUntil('\n', { maxBytes: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LimitExceededError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect(error).toBeInstanceOf(StreamError);
        expect((await pair.conn.readUntil('\n', { maxBytes: 11 })).toString()).toBe('0123456789\n');
        expect((await pair.conn.readUntil('\n', { maxBytes: 5 })).toString()).toBe('rest\n');
      } finally {
        await pair.close();
      }
    });

    it('finds a long record in linear time: each byte is scanned about once', async () => {
      const pair = await connectPair(harness);
      const recordBytes = 4 * 1024 * 1024;
      try {
        // The record arrives in many chunks: a rescanning reader would search O(n²/chunk) bytes.
        const { value: record, searched } = await countSearchedBytes(async () => {
          const record = pair.conn.readUntil('\r\n\r\n');
          for (let sent = 0; sent < recordBytes; sent += 16 * 1024) {
            pair.client.write(Buffer.alloc(16 * 1024, 'a'));
            await pair.client.flush();
          }
          pair.client.write('\r\n\r\n');
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
