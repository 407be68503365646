// readUntil / records() over 2,000,000 32-byte lines fed in 64 KiB chunks,
// against a hand-written Buffer#indexOf splitter (sync) and the same splitter
// awaiting once per line (the floor of any one-promise-per-record API).
import { DuplexStream } from '@evergreen/stream-core';
import { compare } from '../../../bench/runner.mjs';
import { feed, lineChunks } from './feed.mjs';

const LINES = 2_000_000;
const chunks = lineChunks(LINES, 32, 64 * 1024);
const source = () => feed(chunks.length, (i) => chunks[i]);

/** Splits each chunk with indexOf, carrying a partial line over. */
function splitter(onLine) {
  let carry = null;
  return (chunk) => {
    let start = 0;
    if (carry !== null) {
      chunk = Buffer.concat([carry, chunk]);
      carry = null;
    }
    for (let end = chunk.indexOf(10, start); end >= 0; end = chunk.indexOf(10, start)) {
      onLine(chunk.subarray(start, end + 1));
      start = end + 1;
    }
    if (start < chunk.length) carry = chunk.subarray(start);
  };
}

async function syncSplitter() {
  let lines = 0;
  const split = splitter(() => lines++);
  for await (const chunk of source()) split(chunk);
  return lines;
}

async function awaitPerLine() {
  let lines = 0;
  let batch = [];
  const split = splitter((line) => batch.push(line));
  for await (const chunk of source()) {
    split(chunk);
    for (const line of batch) if ((await line).length > 0) lines++;
    batch = [];
  }
  return lines;
}

async function readUntil() {
  const stream = new DuplexStream(source());
  let lines = 0;
  while ((await stream.readUntil('\n')).length > 0) lines++;
  return lines;
}

async function records() {
  const stream = new DuplexStream(source());
  let lines = 0;
  for await (const batch of stream.records('\n')) lines += batch.length;
  return lines;
}

export async function run() {
  return [
    await compare({ name: 'readUntil vs await-per-line splitter', unit: 'lines', target: 0.8, ours: readUntil, baseline: awaitPerLine }),
    await compare({ name: 'records() vs sync indexOf splitter', unit: 'lines', target: 0.8, ours: records, baseline: syncSplitter }),
  ];
}
