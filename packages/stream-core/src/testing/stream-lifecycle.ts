import { describe, expect, it } from 'vitest';
import { StreamClosedError } from '../errors.js';
import { sha256 as digest, until, type StreamPairHarness } from './harness.js';

/** Lifecycle of one stream: write, shutdown, close. */
export function describeStreamLifecycle(harness: StreamPairHarness): void {
  describe('stream lifecycle', () => {
    if (harness.writesReportedLater) {
      it('a write handed over at once returns false while the handle has yet to report it, and the bytes still arrive', async () => {
        // Smaller than 'small': handed to the handle at once, not held for the end of the turn.
        const pair = await harness.createPair({ writer: { coalesceBytes: 4 } });
        try {
          expect(pair.writer.write('small')).toBe(false);
          await pair.writer.flush();
          expect((await pair.reader.readBytes(5)).toString()).toBe('small');
        } finally {
          await pair.close();
        }
      });
    } else {
      it('a write handed over at once returns true when the OS takes the data at once', async () => {
        const pair = await harness.createPair({ writer: { coalesceBytes: 4 } });
        try {
          expect(pair.writer.write('small')).toBe(true);
          expect((await pair.reader.readBytes(5)).toString()).toBe('small');
        } finally {
          await pair.close();
        }
      });
    }

    it('shutdown flushes everything written before the FIN', async () => {
      const pair = await harness.createPair();
      try {
        const payload = Buffer.alloc(8 * 1024 * 1024);
        for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
        const received = pair.reader.readUntilClose();
        for (let offset = 0; offset < payload.length; offset += 256 * 1024) pair.writer.write(payload.subarray(offset, offset + 256 * 1024));
        await pair.writer.shutdown();
        expect(digest(await received)).toBe(digest(payload));
        expect(() => pair.writer.write('late')).toThrow(StreamClosedError);
      } finally {
        await pair.close();
      }
    });

    it('flush during an unfinished shutdown waits for it and loses nothing', async () => {
      const pair = await harness.createPair();
      try {
        const payload = Buffer.alloc(16 * 1024 * 1024);
        for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
        pair.writer.write(payload);
        const shutdown = pair.writer.shutdown();
        const flushed = pair.writer.flush();
        const received = pair.reader.readUntilClose({ maxBytes: payload.length });
        await Promise.all([shutdown, flushed]);
        expect(digest(await received)).toBe(digest(payload));
      } finally {
        await pair.close();
      }
    });

    it('close() during a flush or shutdown rejects it with StreamClosedError of the transport', async () => {
      const pair = await harness.createPair();
      try {
        // More than any OS buffer between the two: the reader is not reading.
        pair.writer.write(Buffer.alloc(8 * 1024 * 1024));
        const flushed = pair.writer.flush();
        const shutdown = pair.writer.shutdown();
        pair.writer.close();
        for (const pending of [flushed, shutdown]) {
          const error = await pending.catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StreamClosedError);
          expect(error).toBeInstanceOf(harness.errorClass);
        }
      } finally {
        await pair.close();
      }
    });

    it('close rejects a pending read with StreamClosedError of the transport', async () => {
      const pair = await harness.createPair();
      try {
        const pending = pair.reader.readUntil('\n');
        pair.reader.close();
        const error = await pending.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StreamClosedError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect((error as Error).name).toBe('StreamClosedError');
        expect(pair.reader.closed).toBe(true);
        await expect(pair.reader.readBytes(1)).rejects.toBeInstanceOf(StreamClosedError);
        expect(() => pair.reader.write('x')).toThrow(StreamClosedError);
      } finally {
        await pair.close();
      }
    });

  });
}

/** What only a two-way channel has: half-close both ways, and a close the peer sees. */
export function describeTwoWay(harness: StreamPairHarness): void {
  describe('two-way', () => {
    it("the peer's FIN ends reading only: the stream stays writable", async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('request\n');
        await pair.writer.shutdown();
        expect((await pair.reader.readUntil('\n')).toString()).toBe('request\n');
        expect((await pair.reader.readBytes(1)).length).toBe(0);
        pair.reader.write('reply after your FIN\n');
        await pair.reader.shutdown();
        expect((await pair.writer.readUntilClose()).toString()).toBe('reply after your FIN\n');
        expect(pair.writer.closed).toBe(true);
      } finally {
        await pair.close();
      }
    });

    it("a write error after the peer's FIN ends writing only: reads go on reporting end of stream", async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write('last words');
        pair.writer.close();
        // Resolves short only at the FIN: every byte the peer sent is in.
        expect((await pair.reader.readBytes(100)).toString()).toBe('last words');
        // The peer is gone: writing to it fails (EPIPE or ECONNRESET) within a few writes.
        for (let attempt = 0; attempt < 50 && !pair.reader.closed; attempt++) {
          pair.reader.write('anyone there?');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(pair.reader.closed).toBe(true);
        const writeError = (() => {
          try {
            pair.reader.write('x');
          } catch (error) {
            return error;
          }
        })();
        expect(writeError).toBeInstanceOf(StreamClosedError);
        expect(['EPIPE', 'ECONNRESET']).toContain(((writeError as Error).cause as { code?: string }).code);
        expect((await pair.reader.readBytes(1)).length).toBe(0);
        expect((await pair.reader.readUntil('\n')).length).toBe(0);
        expect(await pair.reader.readInto(Buffer.alloc(4))).toBe(0);
      } finally {
        await pair.close();
      }
    });

    it('flush() after a reset that dropped unsent bytes rejects with StreamClosedError, the reset as its cause', async () => {
      const pair = await harness.createPair();
      try {
        pair.writer.write(Buffer.alloc(8 * 1024 * 1024));
        // Closing with unread bytes resets the connection (TCP sends RST; a Unix socket's writer gets EPIPE).
        pair.reader.close();
        await until(() => pair.writer.closed, "the writer to see the reader's reset");
        const error = await pair.writer.flush().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StreamClosedError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect(['EPIPE', 'ECONNRESET']).toContain(((error as Error).cause as { code?: string }).code);
      } finally {
        await pair.close();
      }
    });

    it('a closed end is seen by its peer as the end of the stream', async () => {
      const pair = await harness.createPair();
      try {
        pair.reader.close();
        expect((await pair.writer.readUntilClose()).length).toBe(0);
      } finally {
        await pair.close();
      }
    });
  });
}
