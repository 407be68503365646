// lines: 2,000,000 32-byte lines streamed one way to the server, which counts
// them with `readUntil('\n')` (one await per line) or `records('\n')` (one
// await per batch) — ours — or with the hand-written `indexOf` splitter of
// splitter.mjs on its 'data' events (raw). Targets: readUntil >= 0.4x raw
// lines/s (one await per line is the limit: asyncio manages 0.20x, Tornado
// 0.07x), records >= 0.85x. Timing as in counted-transfer.mjs.
//
// For information, the floor of any one-promise-per-line API: the same raw
// splitter, iterating the socket's chunks and awaiting once per line.
import { sized } from './options.mjs';
import { rawServer, ourServer } from './servers.mjs';
import { checkCount, ourCounting, rawCounting, sendCounted } from './counted-transfer.mjs';
import { lineSplitter } from './splitter.mjs';
import { compareServers } from './measure.mjs';

const LINES = sized(2_000_000, 200_000);
const LINE_BYTES = 32;
/** One write of the load client (the lines are cut anywhere; the kernel cuts them again). */
const WRITE_BYTES = 1024 * 1024;
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
  readUntil: ourServer(
    ourCounting(async (conn) => {
      let lines = 0;
      while ((await conn.readUntil('\n')).length > 0) lines++;
      return lines;
    }),
  ),
  records: ourServer(
    ourCounting(async (conn) => {
      let lines = 0;
      for await (const batch of conn.records('\n')) lines += batch.length;
      return lines;
    }),
  ),
};

let text;

export const load = {
  async send({ transport, address, lines }) {
    text ??= lineText(lines);
    const { count, seconds } = await sendCounted(transport, address, pieces(text, WRITE_BYTES));
    checkCount('lines', count, lines);
    return { units: lines, seconds };
  },
};

/** Runs the lines comparisons over `transport`. */
export function run(transport) {
  return compareServers({
    benchmark: 'lines',
    transport,
    unit: 'lines',
    rounds: ROUNDS,
    load: { op: 'send', params: { lines: LINES } },
    contenders: [
      { server: 'awaitPerLine', name: `lines ${LINES} x ${LINE_BYTES} B: raw splitter awaiting each line vs raw indexOf splitter (information)` },
      { server: 'readUntil', name: `lines ${LINES} x ${LINE_BYTES} B: readUntil('\\n') vs raw indexOf splitter`, target: 0.4 },
      { server: 'records', name: `lines ${LINES} x ${LINE_BYTES} B: records('\\n') vs raw indexOf splitter`, target: 0.85 },
    ],
  });
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
