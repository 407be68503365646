// bulk: 1 GiB streamed one way to the server, which reads it with
// `readBytes(65536)` (ours) or sums the lengths of its 'data' events (raw).
// Target: ours >= 0.9x raw bytes/s. Timing as in counted-transfer.mjs.
//
// For information, ours with the other bulk paths: `readBytes` with
// `partial` (at most one received chunk: zero-copy), `readInto` a reused
// 64 KiB buffer (one copy, no allocation) and `for await` over the chunks as
// they arrived (zero-copy). An exact-size read must copy whenever the socket
// hands over chunks that are not 64 KiB-aligned, and allocates its result;
// these two show what that costs.
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
const TARGET = 0.9;

export const servers = {
  raw: rawServer(
    rawCounting((socket) => {
      let bytes = 0;
      socket.on('data', (chunk) => (bytes += chunk.length));
      return () => bytes;
    }),
  ),
  readBytes: ourServer(
    ourCounting(async (conn) => {
      let bytes = 0;
      for (let n = (await conn.readBytes(READ_BYTES)).length; n > 0; n = (await conn.readBytes(READ_BYTES)).length) bytes += n;
      return bytes;
    }),
  ),
  readBytesPartial: ourServer(
    ourCounting(async (conn) => {
      let bytes = 0;
      for (let n = (await conn.readBytes(READ_BYTES, { partial: true })).length; n > 0; n = (await conn.readBytes(READ_BYTES, { partial: true })).length) bytes += n;
      return bytes;
    }),
  ),
  readInto: ourServer(
    ourCounting(async (conn) => {
      const target = Buffer.allocUnsafe(READ_BYTES);
      let bytes = 0;
      for (let n = await conn.readInto(target, { partial: true }); n > 0; n = await conn.readInto(target, { partial: true })) bytes += n;
      return bytes;
    }),
  ),
  chunks: ourServer(
    ourCounting(async (conn) => {
      let bytes = 0;
      for await (const chunk of conn) bytes += chunk.length;
      return bytes;
    }),
  ),
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
  return compareServers({
    benchmark: 'bulk',
    transport,
    unit: 'MiB',
    rounds: ROUNDS,
    load: { op: 'send', params: { bytes: TOTAL_BYTES } },
    contenders: [
      { server: 'readBytes', name: `bulk ${TOTAL_BYTES / MiB} MiB: readBytes(${READ_BYTES}) vs raw 'data' events`, target: TARGET },
      { server: 'readBytesPartial', name: `bulk ${TOTAL_BYTES / MiB} MiB: readBytes(${READ_BYTES}, { partial: true }) vs raw 'data' events (information)` },
      { server: 'readInto', name: `bulk ${TOTAL_BYTES / MiB} MiB: readInto(64 KiB buffer, partial) vs raw 'data' events (information)` },
      { server: 'chunks', name: `bulk ${TOTAL_BYTES / MiB} MiB: for await of chunks vs raw 'data' events (information)` },
    ],
  });
}

function* repeat(piece, times) {
  for (let i = 0; i < times; i++) yield piece;
}
