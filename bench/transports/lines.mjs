// lines: 2,000,000 32-byte lines streamed one way to the server, in 64 KiB
// writes of whole lines (as a client batching its lines writes them); the
// server counts them with `readUntil('\n')` (one await per line) or
// `records('\n')` (one await per batch) — ours — or with the hand-written
// `indexOf` splitter of splitter.mjs on its 'data' events (raw). Targets:
// records >= 0.9x raw lines/s; readUntil at least the floor of any
// one-promise-per-line API measured in the same rounds: the same raw
// splitter, iterating the socket's chunks and awaiting once per line
// (asyncio manages 0.20x raw, Tornado 0.07x). On the first connection of a
// fresh server process (see measure.mjs), each against the raw splitter's
// own first connection: records >= 0.8x; readUntil >= 0.9x the floor's first
// connection. Timing as in counted-transfer.mjs. For information, both of
// ours on connections that read Node's own chunks instead of shared memory.
import { sized } from './options.mjs';
import { rawServer, ourServer } from './servers.mjs';
import { checkCount, ourCounting, rawCounting, sendCounted } from './counted-transfer.mjs';
import { lineSplitter } from './splitter.mjs';
import { compareServers } from './measure.mjs';
import { report } from '../runner.mjs';

const LINES = sized(2_000_000, 200_000);
const LINE_BYTES = 32;
/**
 * One write of the load client: 64 KiB of whole lines, as a client that
 * batches its lines writes them (the kernel may still cut them anywhere).
 */
const WRITE_BYTES = 64 * 1024;
const ROUNDS = sized(7, 2);

export const servers = {
  raw: rawServer(
    rawCounting((socket) => {
      let lines = 0;
      socket.on('data', lineSplitter(() => lines++));
      return () => lines;
    }),
  ),
  awaitPerLine: rawServer(async (socket) => {
    let lines = 0;
    let batch = [];
    const split = lineSplitter((line) => batch.push(line));
    // destroyOnReturn: false keeps the socket open after its end, for the answer.
    for await (const chunk of socket.iterator({ destroyOnReturn: false })) {
      split(chunk);
      for (const line of batch) if ((await line).length > 0) lines++;
      batch = [];
    }
    socket.end(`${lines}\n`);
  }),
  readUntil: ourServer(ourCounting(byReadUntil)),
  records: ourServer(ourCounting(byRecords)),
  recordsNodeChunks: ourServer(ourCounting(byRecords), { nodeChunks: true }),
  readUntilNodeChunks: ourServer(ourCounting(byReadUntil), { nodeChunks: true }),
};

/** Counts lines with `records('\n')`. */
async function byRecords(conn) {
  let lines = 0;
  for await (const batch of conn.records('\n')) lines += batch.length;
  return lines;
}

/** Counts lines with `readUntil('\n')`. */
async function byReadUntil(conn) {
  let lines = 0;
  while ((await conn.readUntil('\n')).length > 0) lines++;
  return lines;
}

let text;

export const load = {
  async send({ transport, address, lines }) {
    text ??= lineText(lines);
    const { count, seconds } = await sendCounted(transport, address, pieces(text, WRITE_BYTES));
    checkCount('lines', count, lines);
    return { units: lines, seconds };
  },
};

/**
 * Runs the lines comparisons over `transport`, then holds `readUntil` to the
 * floor measured in the same rounds: at least the rate of the raw splitter
 * awaiting each line (warmed), at least 0.9x of it on the first connection.
 */
export async function run(transport) {
  const results = await compareServers({
    benchmark: 'lines',
    transport,
    unit: 'lines',
    rounds: ROUNDS,
    load: { op: 'send', params: { lines: LINES } },
    contenders: [
      { server: 'awaitPerLine', name: `lines ${LINES} x ${LINE_BYTES} B: raw splitter awaiting each line vs raw indexOf splitter (information)`, fresh: true },
      { server: 'readUntil', name: `lines ${LINES} x ${LINE_BYTES} B: readUntil('\\n') vs raw indexOf splitter`, fresh: true },
      { server: 'records', name: `lines ${LINES} x ${LINE_BYTES} B: records('\\n') vs raw indexOf splitter`, target: 0.9, firstTarget: 0.8 },
      { server: 'readUntilNodeChunks', name: `lines ${LINES} x ${LINE_BYTES} B: readUntil('\\n') reading Node's chunks vs raw indexOf splitter (information)` },
      { server: 'recordsNodeChunks', name: `lines ${LINES} x ${LINE_BYTES} B: records('\\n') reading Node's chunks vs raw indexOf splitter (information)` },
    ],
  });
  const [floor, readUntil] = results;
  const name = `lines ${LINES} x ${LINE_BYTES} B: readUntil('\\n') vs the one-await-per-line floor`;
  const warmed = report(`${name} [${transport.label}]`, 'lines', readUntil.ours, floor.ours, 1);
  const first = report(`${name}, first connection of a fresh server [${transport.label}]`, 'lines', readUntil.first.ours, floor.first.ours, 0.9);
  return [...results, { ...warmed, first }];
}

/** `lines` lines of `LINE_BYTES` bytes, newline included, in one buffer. */
function lineText(lines) {
  const text = Buffer.alloc(lines * LINE_BYTES, 'x');
  for (let end = LINE_BYTES - 1; end < text.length; end += LINE_BYTES) text[end] = 0x0a;
  return text;
}

function* pieces(buffer, size) {
  for (let offset = 0; offset < buffer.length; offset += size) yield buffer.subarray(offset, offset + size);
}
