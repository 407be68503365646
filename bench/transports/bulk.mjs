// bulk: 1 GiB streamed one way to the server, which reads it with our bulk
// reads or sums the lengths of its 'data' events (raw). Targets (accepted
// connections): exact `readBytes(65536)` >= 0.85x raw bytes/s, `readInto` a
// reused 64 KiB buffer (exact: it fills all 64 KiB) >= 0.9x, and >= 0.9x on
// the first connection of a fresh server process too (see measure.mjs; the
// raw server's own first connection is the baseline). Timing as in
// counted-transfer.mjs. Beside each rate: the server's CPU time per MiB and
// its minor page faults per GiB.
//
// Our connections read through shared memory (Node's `onread`, the handle
// moved to a socket made with it: see the stream-core README, "Reading
// accepted connections"). For information, the same two reads on
// connections that read Node's own chunks (`readIntoMemory: false`), and the
// other bulk paths: `readInto` with `partial`, `readBytes` with `partial`
// (at most one received chunk) and `for await` over the chunks.
import { sized } from './options.mjs';
import { rawServer, ourServer } from './servers.mjs';
import { checkCount, ourCounting, rawCounting, sendCounted } from './counted-transfer.mjs';
import { compareServers } from './measure.mjs';

const MiB = 1024 * 1024;
const TOTAL_BYTES = sized(1024 * MiB, 128 * MiB);
/** One write of the load client: large, so the client spends its time in the kernel, not in JS. */
const WRITE_BYTES = MiB;
const READ_BYTES = 65536;
const ROUNDS = sized(7, 2);
const NODE_CHUNKS = { nodeChunks: true };

/** Reads to the end with `readBytes(READ_BYTES, options)`, counting bytes. */
async function byReadBytes(conn, options) {
  let bytes = 0;
  for (let n = (await conn.readBytes(READ_BYTES, options)).length; n > 0; n = (await conn.readBytes(READ_BYTES, options)).length) bytes += n;
  return bytes;
}

/** Reads to the end with `readInto` one reused 64 KiB buffer, counting bytes. */
async function byReadInto(conn, options) {
  const target = Buffer.allocUnsafe(READ_BYTES);
  let bytes = 0;
  for (let n = await conn.readInto(target, options); n > 0; n = await conn.readInto(target, options)) bytes += n;
  return bytes;
}

/** Reads to the end with `for await` over the chunks as they arrived. */
async function byChunks(conn) {
  let bytes = 0;
  for await (const chunk of conn) bytes += chunk.length;
  return bytes;
}

export const servers = {
  raw: rawServer(
    rawCounting((socket) => {
      let bytes = 0;
      socket.on('data', (chunk) => (bytes += chunk.length));
      return () => bytes;
    }),
  ),
  readBytes: ourServer(ourCounting((conn) => byReadBytes(conn))),
  readInto: ourServer(ourCounting((conn) => byReadInto(conn))),
  readBytesNodeChunks: ourServer(ourCounting((conn) => byReadBytes(conn)), NODE_CHUNKS),
  readIntoNodeChunks: ourServer(ourCounting((conn) => byReadInto(conn)), NODE_CHUNKS),
  readIntoPartial: ourServer(ourCounting((conn) => byReadInto(conn, { partial: true }))),
  readBytesPartial: ourServer(ourCounting((conn) => byReadBytes(conn, { partial: true }))),
  chunks: ourServer(ourCounting(byChunks)),
};

export const load = {
  async send({ transport, address, bytes }) {
    const { count, seconds } = await sendCounted(transport, address, repeat(Buffer.alloc(WRITE_BYTES, 'b'), bytes / WRITE_BYTES));
    checkCount('bytes', count, bytes);
    return { units: bytes / MiB, seconds };
  },
};

/** Runs the bulk comparison over `transport`. */
export function run(transport) {
  const size = `bulk ${TOTAL_BYTES / MiB} MiB`;
  return compareServers({
    benchmark: 'bulk',
    transport,
    unit: 'MiB',
    rounds: ROUNDS,
    faultsPer: { unit: 'GiB', units: 1024 },
    load: { op: 'send', params: { bytes: TOTAL_BYTES } },
    contenders: [
      { server: 'readBytes', name: `${size}: readBytes(${READ_BYTES}) vs raw 'data' events`, target: 0.85 },
      { server: 'readInto', name: `${size}: readInto(64 KiB buffer) vs raw 'data' events`, target: 0.9, firstTarget: 0.9 },
      { server: 'readBytesNodeChunks', name: `${size}: readBytes(${READ_BYTES}) reading Node's chunks vs raw 'data' events (information)` },
      { server: 'readIntoNodeChunks', name: `${size}: readInto(64 KiB buffer) reading Node's chunks vs raw 'data' events (information)` },
      { server: 'readIntoPartial', name: `${size}: readInto(64 KiB buffer, partial) vs raw 'data' events (information)` },
      { server: 'readBytesPartial', name: `${size}: readBytes(${READ_BYTES}, { partial: true }) vs raw 'data' events (information)` },
      { server: 'chunks', name: `${size}: for await of chunks vs raw 'data' events (information)` },
    ],
  });
}

function* repeat(piece, times) {
  for (let i = 0; i < times; i++) yield piece;
}
