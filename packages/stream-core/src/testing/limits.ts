import { describe, expect, it } from 'vitest';
import type { BaseStream } from '../base-stream.js';
import { LimitExceededError } from '../errors.js';
import { until, type StreamPair, type StreamPairHarness } from './harness.js';

/** The `maxBytes` of the delimited cases, and the `maxBufferSize` of the `readBytes` ones. */
const LIMIT = 100;
const DELIMITER = '\r\n';
/** Sizes on each side of the limit: one under, at, one over. */
const SIZES = [LIMIT - 1, LIMIT, LIMIT + 1];
/**
 * How the bytes come and when the read is made: `waiting`, before the first
 * of two chunks arrives (the limit is checked as chunks come); `buffered`,
 * once both are in; `one chunk`, once a single chunk holding the record and
 * more is in (the fast path of a record inside one chunk).
 */
const TIMINGS = ['waiting', 'buffered', 'one chunk'] as const;

/** A record of `size` bytes, delimiter included. */
function record(size: number): string {
  return `${'r'.repeat(size - DELIMITER.length)}${DELIMITER}`;
}

/** One delimited read kind: reads the next record with `maxBytes`, resolving every record it hands out at once. */
type DelimitedRead = (stream: BaseStream, maxBytes: number) => Promise<string[]>;

const DELIMITED_READS: [string, DelimitedRead][] = [
  ['readUntil', async (stream, maxBytes) => [(await stream.readUntil(DELIMITER, { maxBytes })).toString()]],
  ['readUntilRegex', async (stream, maxBytes) => [(await stream.readUntilRegex(/\r\n/, { maxBytes })).toString()]],
  [
    'records',
    async (stream, maxBytes) => {
      const batches = stream.records(DELIMITER, { maxBytes });
      try {
        const batch = await batches.next();
        return batch.done === true ? [] : batch.value.map(String);
      } finally {
        await batches.return();
      }
    },
  ],
];

/**
 * Sends `data` in two writes split at byte `cut`, the second once the first
 * has arrived (nothing else is unread): two chunks on every transport. Cut
 * at 0, one write.
 */
async function sendInTwo(pair: StreamPair, data: string | Buffer, cut: number): Promise<void> {
  const bytes = Buffer.from(data);
  if (cut === 0) {
    pair.writer.write(bytes);
    return;
  }
  pair.writer.write(bytes.subarray(0, cut));
  await until(() => pair.reader.readableLength >= cut, 'the first part to arrive');
  pair.writer.write(bytes.subarray(cut));
}

/** What a read settles to: its value, or the error it rejects with. */
function settled<T>(read: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return read.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Expects `outcome` to be a `LimitExceededError` of `harness`'s class with `limit`. */
function expectLimit(outcome: { value: unknown } | { error: unknown }, harness: StreamPairHarness, limit: number, what: string): void {
  expect(outcome, what).toHaveProperty('error');
  const error = (outcome as { error: unknown }).error;
  expect(error, what).toBeInstanceOf(LimitExceededError);
  expect(error, what).toBeInstanceOf(harness.errorClass);
  expect((error as LimitExceededError).limit, what).toBe(limit);
}

/**
 * The limits at their boundary, exactly: a record (delimiter included) of
 * `maxBytes - 1` and `maxBytes` bytes is read, one of `maxBytes + 1` is
 * refused and left buffered; an exact `readBytes` of `maxBufferSize - 1`
 * and `maxBufferSize` bytes is served, one more is refused. Every case
 * arrives in two chunks — the delimited ones split inside the delimiter —
 * with the read made before the bytes arrive and after.
 */
export function describeLimits(harness: StreamPairHarness): void {
  describe('limits at their boundary', () => {
    it.each(DELIMITED_READS)('%s: a record of maxBytes - 1 or maxBytes bytes is read, maxBytes + 1 is refused and stays buffered, across chunks', async (name, read) => {
      const pair = await harness.createPair();
      try {
        for (const timing of TIMINGS) {
          for (const size of SIZES) {
            const what = `${name}, ${size} bytes with maxBytes ${LIMIT}, read ${timing}`;
            const text = record(size);
            // Split between the delimiter's two bytes: the record is whole only with the second chunk.
            const cut = size - 1;
            let outcome: Promise<{ value: string[] } | { error: unknown }>;
            if (timing === 'waiting') {
              outcome = settled(read(pair.reader, LIMIT));
              await sendInTwo(pair, `${text}next${DELIMITER}`, cut);
            } else {
              await sendInTwo(pair, `${text}next${DELIMITER}`, timing === 'one chunk' ? 0 : cut);
              await until(() => pair.reader.readableLength === size + 6, 'every byte to arrive');
              outcome = settled(read(pair.reader, LIMIT));
            }
            if (size <= LIMIT) {
              const records = await outcome;
              expect(records, what).toHaveProperty('value');
              expect((records as { value: string[] }).value[0], what).toBe(text);
            } else {
              expectLimit(await outcome, harness, LIMIT, what);
              // Nothing was consumed: the record is there for a read that allows it.
              expect((await pair.reader.readUntil(DELIMITER, { maxBytes: size })).toString(), what).toBe(text);
            }
            // The batch may have held the next record too; read it if it did not.
            if (pair.reader.readableLength > 0) expect((await pair.reader.readUntil(DELIMITER)).toString(), what).toBe(`next${DELIMITER}`);
          }
        }
      } finally {
        await pair.close();
      }
    });

    it.each(DELIMITED_READS)('%s: exactly maxBytes bytes with no delimiter, then end of stream, is refused for the limit', async (name, read) => {
      const pair = await harness.createPair();
      try {
        // Half a delimiter at the end: the record could only end past maxBytes.
        const pending = settled(read(pair.reader, LIMIT));
        await sendInTwo(pair, `${'r'.repeat(LIMIT - 1)}\r`, LIMIT - 1);
        await pair.writer.shutdown();
        expectLimit(await pending, harness, LIMIT, `${name}, ${LIMIT} bytes and no delimiter`);
      } finally {
        await pair.close();
      }
    });

    it('records: a record after another in one batch keeps the same boundary, in one chunk or across two', async () => {
      const pair = await harness.createPair();
      try {
        for (const chunks of ['one chunk', 'two chunks']) {
          for (const size of SIZES) {
            const what = `records, a second record of ${size} bytes with maxBytes ${LIMIT}, in ${chunks}`;
            const first = `first${DELIMITER}`;
            const text = record(size);
            const all = `${first}${text}next${DELIMITER}`;
            await sendInTwo(pair, all, chunks === 'one chunk' ? 0 : first.length + size - 1);
            await until(() => pair.reader.readableLength === all.length, 'every byte to arrive');
            const batches = pair.reader.records(DELIMITER, { maxBytes: LIMIT });
            const batch = await batches.next();
            if (size <= LIMIT) {
              expect(batch.value?.slice(0, 2), what).toEqual([Buffer.from(first), Buffer.from(text)]);
            } else {
              expect(batch.value, what).toEqual([Buffer.from(first)]);
              expectLimit(await settled(batches.next()), harness, LIMIT, what);
              expect((await pair.reader.readUntil(DELIMITER, { maxBytes: size })).toString(), what).toBe(text);
            }
            await batches.return();
            if (pair.reader.readableLength > 0) expect((await pair.reader.readUntil(DELIMITER)).toString(), what).toBe(`next${DELIMITER}`);
          }
        }
      } finally {
        await pair.close();
      }
    });

    it('readBytes: maxBufferSize - 1 and maxBufferSize bytes are read, maxBufferSize + 1 is refused and consumes nothing, across chunks', async () => {
      const pair = await harness.createPair({ reader: { maxBufferSize: LIMIT } });
      try {
        for (const timing of TIMINGS) {
          for (const size of SIZES) {
            const what = `readBytes(${size}) with maxBufferSize ${LIMIT}, read ${timing}`;
            const bytes = Buffer.alloc(size);
            for (let i = 0; i < size; i++) bytes[i] = i;
            const cut = Math.floor(size / 2);
            let outcome: Promise<{ value: Buffer } | { error: unknown }>;
            if (timing === 'waiting') {
              outcome = settled(pair.reader.readBytes(size));
              await sendInTwo(pair, bytes, cut);
            } else {
              await sendInTwo(pair, bytes, cut);
              await until(() => pair.reader.readableLength === size, 'every byte to arrive');
              outcome = settled(pair.reader.readBytes(size));
            }
            if (size <= LIMIT) {
              const result = await outcome;
              expect(result, what).toHaveProperty('value');
              expect((result as { value: Buffer }).value.equals(bytes), what).toBe(true);
            } else {
              expectLimit(await outcome, harness, LIMIT, what);
              await until(() => pair.reader.readableLength === size, 'every byte to arrive');
              const rest = Buffer.concat([await pair.reader.readBytes(LIMIT), await pair.reader.readBytes(size - LIMIT)]);
              expect(rest.equals(bytes), what).toBe(true);
            }
          }
        }
      } finally {
        await pair.close();
      }
    });
  });
}
