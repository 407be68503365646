// One long record fed in 4 KiB chunks, found with readUntil: the time must
// grow linearly with the record (64 MiB at most 10x the time of 8 MiB).
import { performance } from 'node:perf_hooks';
import { DuplexStream } from '@evergreen/stream-core';
import { median } from '../../../bench/runner.mjs';
import { feed } from './feed.mjs';

const CHUNK = Buffer.alloc(4096, 'a');
const DELIMITER = Buffer.from('\r\n\r\n');
const MiB = 1024 * 1024;

async function timeRecord(bytes) {
  const count = bytes / CHUNK.length;
  const stream = new DuplexStream(feed(count + 1, (i) => (i < count ? CHUNK : DELIMITER)), { maxBufferSize: 128 * MiB });
  const start = performance.now();
  const record = await stream.readUntil(DELIMITER);
  const ms = performance.now() - start;
  if (record.length !== bytes + DELIMITER.length) throw new Error(`record of ${record.length} bytes`);
  return ms;
}

export async function run() {
  const small = [];
  const large = [];
  for (let round = 0; round < 3; round++) {
    globalThis.gc?.();
    small.push(await timeRecord(8 * MiB));
    globalThis.gc?.();
    large.push(await timeRecord(64 * MiB));
  }
  const ratio = median(large) / median(small);
  const ok = ratio <= 10;
  console.log(
    `readUntil on one long record in 4 KiB chunks: 8 MiB ${median(small).toFixed(1)} ms, 64 MiB ${median(large).toFixed(1)} ms, ` +
      `time ratio ${ratio.toFixed(2)}x for 8x the bytes (target <= 10x: ${ok ? 'met' : 'MISSED'})`,
  );
  return [{ name: 'long record linearity', ratio, target: 10, ok }];
}
