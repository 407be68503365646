import { describe, expect, it } from 'vitest';
import { LimitExceededError } from '../errors.js';
import { sha256, until, type StreamPairHarness } from './harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** Flow control: highWaterMark backpressure and maxBufferSize limits. */
export function describeFlow(harness: StreamPairHarness): void {
  describe('flow control', () => {
    it('a reader that does not read pauses the sender: memory stays bounded, nothing is lost', async () => {
      const highWaterMark = 64 * KiB;
      const pair = await harness.createPair({ reader: { highWaterMark } });
      try {
        const payload = Buffer.alloc(32 * MiB);
        for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
        let tookAtOnce = true;
        for (let offset = 0; offset < payload.length; offset += MiB) tookAtOnce = pair.writer.write(payload.subarray(offset, offset + MiB)) && tookAtOnce;
        const flushed = pair.writer.flush();
        let flushDone = false;
        void flushed.then(() => (flushDone = true));
        // Let the bytes flow until the kernel buffers fill up.
        let seen = -1;
        await until(() => {
          const stable = pair.reader.readableLength === seen && pair.reader.readableLength > 0;
          seen = pair.reader.readableLength;
          return stable;
        }, 'the receiver to stop taking bytes');
        expect(tookAtOnce).toBe(false);
        expect(flushDone).toBe(false);
        expect(pair.reader.readableLength).toBeLessThanOrEqual(highWaterMark + MiB);
        const received = pair.reader.readUntilClose({ maxBytes: payload.length });
        await pair.writer.shutdown();
        expect(sha256(await received)).toBe(sha256(payload));
        await flushed;
      } finally {
        await pair.close();
      }
    });

    it('writableLength counts what the OS has not taken: above 0 while the peer does not read, 0 once it has and flush() resolved', async () => {
      const pair = await harness.createPair({ reader: { highWaterMark: 64 * KiB } });
      try {
        expect(pair.writer.writableLength).toBe(0);
        // More than the kernel buffers between the two hold: the reader is not reading.
        const payload = Buffer.alloc(32 * MiB, 'w');
        let tookAtOnce = true;
        for (let offset = 0; offset < payload.length; offset += MiB) tookAtOnce = pair.writer.write(payload.subarray(offset, offset + MiB)) && tookAtOnce;
        expect(tookAtOnce).toBe(false);
        const queued = pair.writer.writableLength;
        expect(queued).toBeGreaterThan(0);
        expect(queued).toBeLessThanOrEqual(payload.length);
        // A queued string counts its bytes (UTF-8), not its characters.
        pair.writer.write('é');
        expect(pair.writer.writableLength).toBe(queued + 2);
        const received = pair.reader.readBytes(payload.length + 2);
        await pair.writer.flush();
        expect(pair.writer.writableLength).toBe(0);
        expect(sha256(await received)).toBe(sha256(Buffer.concat([payload, Buffer.from('é')])));
      } finally {
        await pair.close();
      }
    });

    it('a pending read keeps reading past highWaterMark: a long record is never a deadlock', async () => {
      const pair = await harness.createPair({ reader: { highWaterMark: 16 * KiB } });
      try {
        const record = Buffer.concat([Buffer.alloc(2 * MiB, 'r'), Buffer.from('\n')]);
        pair.writer.write(record);
        expect((await pair.reader.readUntil('\n')).equals(record)).toBe(true);
      } finally {
        await pair.close();
      }
    });

    it('a read that needs more than maxBufferSize rejects, memory stays bounded, the stream stays usable', async () => {
      const maxBufferSize = 256 * KiB;
      const pair = await harness.createPair({ reader: { maxBufferSize, highWaterMark: 64 * KiB } });
      try {
        const record = Buffer.concat([Buffer.alloc(MiB, 'x'), Buffer.from('\n')]);
        pair.writer.write(record);
        const error = await pair.reader.readUntil('\n').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LimitExceededError);
        expect(error).toBeInstanceOf(harness.errorClass);
        expect((error as LimitExceededError).limit).toBe(maxBufferSize);
        expect(pair.reader.readableLength).toBeLessThanOrEqual(maxBufferSize + 256 * KiB);
        await expect(pair.reader.readBytes(2 * maxBufferSize)).rejects.toBeInstanceOf(LimitExceededError);
        // Skip the over-long record in pieces, then read on normally.
        let skipped = 0;
        while (skipped < MiB) skipped += (await pair.reader.readBytes(Math.min(64 * KiB, MiB - skipped))).length;
        expect((await pair.reader.readUntil('\n')).toString()).toBe('\n');
        pair.writer.write('next\n');
        expect((await pair.reader.readUntil('\n')).toString()).toBe('next\n');
      } finally {
        await pair.close();
      }
    });
  });
}
