// readBytes(65536) over 1 GiB fed in 64 KiB chunks, against summing the
// chunk lengths by hand from the same source. Two hand-written baselines:
// Node's own pull loop (`for await` over the Readable) — the target — and a
// synchronous 'data' listener, printed for information: a push callback never
// yields to the event loop, which no awaiting reader can match per chunk.
import { once } from 'node:events';
import { DuplexStream } from '@evergreen/stream-core';
import { compare } from '../../../bench/runner.mjs';
import { feed } from './feed.mjs';

const CHUNK = Buffer.alloc(64 * 1024, 'b');
const COUNT = (1024 * 1024 * 1024) / CHUNK.length;
const source = () => feed(COUNT, () => CHUNK);

async function sumByPullLoop() {
  let bytes = 0;
  for await (const chunk of source()) bytes += chunk.length;
  return bytes;
}

async function sumInDataListener() {
  let bytes = 0;
  const stream = source();
  stream.on('data', (chunk) => (bytes += chunk.length));
  await once(stream, 'end');
  return bytes;
}

async function readBytes() {
  const stream = new DuplexStream(source());
  let bytes = 0;
  for (let n = (await stream.readBytes(65536)).length; n > 0; n = (await stream.readBytes(65536)).length) bytes += n;
  return bytes;
}

export async function run() {
  return [
    await compare({ name: 'readBytes(65536) vs for-await summing chunks', unit: 'bytes', target: 0.9, ours: readBytes, baseline: sumByPullLoop }),
    await compare({ name: "readBytes(65536) vs sync 'data' listener (information)", unit: 'bytes', ours: readBytes, baseline: sumInDataListener }),
  ];
}
