import { describe, expect, it } from 'vitest';
import type { BaseStream } from '../base-stream.js';
import { sha256, until, type StreamPair, type StreamPairHarness } from './harness.js';

const KiB = 1024;

/**
 * Bytes as a pseudo-random generator makes them (xorshift32 from `seed`):
 * a payload in which a byte out of place, lost or read twice shows.
 */
function payload(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Writes `data` in pieces of 1..`maxPiece` bytes (sizes from `seed`), then FIN. */
async function sendInPieces(writer: BaseStream, data: Buffer, maxPiece: number, seed: number): Promise<void> {
  const sizes = payload(Math.ceil(data.length / 16) + 1, seed);
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = 1 + ((sizes[i % sizes.length] * maxPiece) >> 8);
    if (!writer.write(data.subarray(offset, offset + size))) await writer.flush();
    offset += size;
  }
  await writer.shutdown();
}

/**
 * Reads to the end of stream with every read kind in turn, sizes and kinds
 * from `seed`, keeping each result as handed out (views and reused targets
 * copied only once read): returns all of them, concatenated after the end.
 */
async function readMixed(reader: BaseStream, seed: number): Promise<Buffer> {
  const kept: Buffer[] = [];
  const choices = payload(4096, seed);
  const target = Buffer.alloc(80 * KiB);
  for (let i = 0; ; i++) {
    const choice = choices[i % choices.length];
    const size = 1 + ((choices[(i * 7 + 3) % choices.length] << 9) % (80 * KiB));
    let got: Buffer;
    switch (choice % 5) {
      case 0:
        got = await reader.readBytes(size);
        break;
      case 1:
        got = await reader.readBytes(size, { partial: true });
        break;
      case 2: {
        const view = target.subarray(0, size);
        got = Buffer.from(view.subarray(0, await reader.readInto(view)));
        break;
      }
      case 3: {
        const view = target.subarray(0, size);
        // Every other one gets its target from a function, as a pooled relay does.
        got = Buffer.from(view.subarray(0, await reader.readInto(i % 2 === 0 ? view : () => view, { partial: true })));
        break;
      }
      default:
        got = await reader.readUntil(Buffer.of(choice)).catch((error: { partial?: Buffer }) => error.partial ?? Buffer.alloc(0));
    }
    if (got.length === 0) break;
    kept.push(got);
  }
  return Buffer.concat(kept);
}

/**
 * Reads whose bytes arrive in memory the transport reuses for its next read
 * (a socket it created reads through Node's `onread`): whatever sits in the
 * stream's buffer, and whatever a read handed out, must stay intact however
 * many reads follow. Over real sockets, with every read kind.
 */
export function describeBorrowedReads(harness: StreamPairHarness): void {
  describe('reads from reused memory', () => {
    it('every read kind in turn, over 4 MiB in pieces of any size: the bytes read are the bytes sent', async () => {
      const pair = await harness.createPair();
      try {
        const sent = payload(4 * 1024 * KiB, 1);
        const [received] = await Promise.all([readMixed(pair.reader, 2), sendInPieces(pair.writer, sent, 96 * KiB, 3)]);
        expect(received.length).toBe(sent.length);
        expect(sha256(received)).toBe(sha256(sent));
      } finally {
        await pair.close();
      }
    });

    it.each([1000, 64 * KiB, 100 * KiB])('results of readBytes(%i) handed out stay intact while the next chunks arrive', async (size) => {
      const pair = await harness.createPair();
      try {
        const sent = payload(2048 * KiB + 17, size);
        const sending = sendInPieces(pair.writer, sent, 64 * KiB, 5);
        const kept: Buffer[] = [];
        for (let chunk = await pair.reader.readBytes(size); chunk.length > 0; chunk = await pair.reader.readBytes(size)) kept.push(chunk);
        await sending;
        expect(kept.slice(0, -1).every((chunk) => chunk.length === size)).toBe(true);
        expect(sha256(Buffer.concat(kept))).toBe(sha256(sent));
      } finally {
        await pair.close();
      }
    });

    it('exact bulk reads, then lines, then readInto on one stream: the bytes read are the bytes sent', async () => {
      const pair = await harness.createPair();
      try {
        const bulk = payload(512 * KiB, 15);
        const lines = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join(''));
        const tail = payload(200 * KiB, 16);
        const sending = sendInPieces(pair.writer, Buffer.concat([bulk, lines, tail]), 40 * KiB, 17);
        const kept: Buffer[] = [];
        for (let left = bulk.length; left > 0; left -= 64 * KiB) kept.push(await pair.reader.readBytes(64 * KiB));
        for (let i = 0; i < 2000; i++) kept.push(await pair.reader.readUntil('\n'));
        const target = Buffer.alloc(64 * KiB);
        for (let n = await pair.reader.readInto(target); n > 0; n = await pair.reader.readInto(target)) kept.push(Buffer.from(target.subarray(0, n)));
        await sending;
        expect(sha256(Buffer.concat(kept))).toBe(sha256(Buffer.concat([bulk, lines, tail])));
      } finally {
        await pair.close();
      }
    });

    it('bytes left buffered while no read waits survive many later reads of the transport', async () => {
      const pair = await harness.createPair();
      try {
        const sent = payload(256 * KiB, 6);
        pair.writer.write(sent.subarray(0, 100));
        await until(() => pair.reader.readableLength === 100, 'the first bytes to arrive');
        for (let offset = 100; offset < sent.length; offset += 4 * KiB) {
          pair.writer.write(sent.subarray(offset, offset + 4 * KiB));
          const expected = Math.min(offset + 4 * KiB, sent.length);
          await until(() => pair.reader.readableLength === expected, 'the next piece to arrive');
        }
        expect(sha256(await pair.reader.readBytes(sent.length))).toBe(sha256(sent));
      } finally {
        await pair.close();
      }
    });

    it('an aborted readInto gives back every byte it was waiting with: the next read gets them', async () => {
      const pair = await harness.createPair();
      try {
        const controller = new AbortController();
        const target = Buffer.alloc(10);
        const pending = pair.reader.readInto(target, { signal: controller.signal });
        pair.writer.write('abcd');
        await until(() => pair.reader.readableLength === 4, 'the bytes to arrive');
        const reason = new Error('stop');
        controller.abort(reason);
        await expect(pending).rejects.toBe(reason);
        pair.writer.write('efgh');
        expect((await pair.reader.readBytes(8)).toString()).toBe('abcdefgh');
      } finally {
        await pair.close();
      }
    });

    it('a partial readInto given a target function calls it once bytes are there, not while it waits, and never at a bare end of stream', async () => {
      const pair = await harness.createPair();
      try {
        const target = Buffer.alloc(16);
        let calls = 0;
        const provide = (): Buffer => {
          calls += 1;
          return target;
        };
        const first = pair.reader.readInto(provide, { partial: true });
        pair.writer.write('ping');
        expect(await first).toBe(4);
        expect({ calls, bytes: target.subarray(0, 4).toString() }).toEqual({ calls: 1, bytes: 'ping' });

        const waiting = pair.reader.readInto(provide, { partial: true });
        if (harness.twoWay) {
          // A round trip through the peer: the read has waited while bytes moved the other way.
          pair.reader.write('pong');
          expect((await pair.writer.readBytes(4)).toString()).toBe('pong');
        } else {
          for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
        }
        expect(calls).toBe(1);
        await pair.writer.shutdown();
        expect(await waiting).toBe(0);
        expect(calls).toBe(1);
      } finally {
        await pair.close();
      }
    });

    it.each([
      ['returns no Uint8Array', () => 'not bytes' as unknown as Uint8Array, TypeError],
      ['returns an empty target', () => new Uint8Array(0), RangeError],
      ['throws', () => {
        throw new SyntaxError('no buffer');
      }, SyntaxError],
    ])('a partial readInto whose target function %s rejects with that error; the bytes stay for the next read', async (_what, provide, errorClass) => {
      const pair = await harness.createPair();
      try {
        const failing = pair.reader.readInto(provide, { partial: true });
        pair.writer.write('kept');
        await expect(failing).rejects.toBeInstanceOf(errorClass);
        expect((await pair.reader.readBytes(4)).toString()).toBe('kept');
      } finally {
        await pair.close();
      }
    });

    it('two streams read at once in one process: neither sees the other one\'s bytes', async () => {
      const pairs: StreamPair[] = [await harness.createPair(), await harness.createPair()];
      try {
        const sent = [payload(1024 * KiB, 7), payload(1024 * KiB, 8)];
        const received = await Promise.all(
          pairs.map(async (pair, i) => (await Promise.all([readMixed(pair.reader, 9 + i), sendInPieces(pair.writer, sent[i], 48 * KiB, 11 + i)]))[0]),
        );
        expect(received.map(sha256)).toEqual(sent.map(sha256));
      } finally {
        await Promise.all(pairs.map((pair) => pair.close()));
      }
    });

    it('bytesRead counts every byte received', async () => {
      const pair = await harness.createPair();
      try {
        const sent = payload(300 * KiB, 13);
        await Promise.all([sendInPieces(pair.writer, sent, 32 * KiB, 14), pair.reader.readUntilClose()]);
        expect((pair.reader as BaseStream & { bytesRead?: number }).bytesRead).toBe(sent.length);
      } finally {
        await pair.close();
      }
    });
  });
}
