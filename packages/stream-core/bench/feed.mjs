// Feeding a stream in a benchmark: chunks written into a PassThrough, read
// through the real Duplex adapter by ours and by the raw-Node baselines alike.
import { PassThrough } from 'node:stream';
import { once } from 'node:events';

/** A PassThrough fed with `count` chunks from `chunkAt(i)`, then ended; honours backpressure. */
export function feed(count, chunkAt) {
  const source = new PassThrough({ highWaterMark: 256 * 1024 });
  (async () => {
    for (let i = 0; i < count; i++) {
      if (!source.write(chunkAt(i))) await once(source, 'drain');
    }
    source.end();
  })();
  return source;
}

/** `lines` lines of `lineBytes` bytes (newline included), cut into `chunkBytes` chunks. */
export function lineChunks(lines, lineBytes, chunkBytes) {
  const line = Buffer.alloc(lineBytes, 'x');
  line[lineBytes - 1] = 0x0a;
  const total = lines * lineBytes;
  const data = Buffer.allocUnsafe(total);
  for (let offset = 0; offset < total; offset += lineBytes) line.copy(data, offset);
  const chunks = [];
  for (let offset = 0; offset < total; offset += chunkBytes) chunks.push(data.subarray(offset, offset + chunkBytes));
  return chunks;
}
