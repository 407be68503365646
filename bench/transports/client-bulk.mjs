// client bulk: a raw `node:net` server streams 1 GiB to each client that
// connects and asks for it; the client under test reads it to the end: ours
// (`TCPClient` / `PipeClient`, reading through shared memory with Node's
// `onread`) with `readInto` a reused 64 KiB buffer, or the raw client summing
// the lengths of its 'data' events. Targets: `readInto` >= 1.2x raw bytes/s,
// and >= 0.9x on the first connection of a fresh client process (see
// measure.mjs; the raw client's own first connection is the baseline).
// For information: exact `readBytes(65536)` and `for await` over the chunks.
//
// What is timed: the client's clock, from the connection being up (its
// request written) to the end of stream; the count is checked. The sender is
// the same process and code for every client; each client runs in its own
// process, whose CPU time per MiB and minor page faults per GiB are printed.
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { sized } from './options.mjs';
import { rawServer } from './servers.mjs';
import { checkCount } from './counted-transfer.mjs';
import { compareClients } from './measure.mjs';

const MiB = 1024 * 1024;
const TOTAL_BYTES = sized(1024 * MiB, 128 * MiB);
/** One write of the sender. */
const WRITE_BYTES = MiB;
const READ_BYTES = 65536;
const ROUNDS = sized(7, 2);

export const servers = {
  /** Reads the byte count the client asks for (one line), sends that many bytes, then FIN. */
  sender: rawServer((socket) => {
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk;
      if (request.endsWith('\n')) void send(socket, Number(request));
    });
  }),
};

async function send(socket, bytes) {
  const piece = Buffer.alloc(WRITE_BYTES, 'c');
  for (let sent = 0; sent < bytes; sent += WRITE_BYTES) if (!socket.write(piece)) await once(socket, 'drain');
  socket.end();
}

/** Times `read(client)`, which reads to the end and resolves the bytes it got, on one of our clients. */
function ours(read) {
  return async ({ transport, address, bytes }) => {
    const client = await transport.connectOurs(address);
    try {
      client.write(`${bytes}\n`);
      const start = performance.now();
      const count = await read(client);
      const seconds = (performance.now() - start) / 1000;
      checkCount('bytes', count, bytes);
      return { units: bytes / MiB, seconds };
    } finally {
      client.close();
    }
  };
}

export const load = {
  async raw({ transport, address, bytes }) {
    const socket = transport.connectRaw(address);
    try {
      await once(socket, 'connect');
      socket.write(`${bytes}\n`);
      const start = performance.now();
      let count = 0;
      socket.on('data', (chunk) => (count += chunk.length));
      await once(socket, 'end');
      const seconds = (performance.now() - start) / 1000;
      checkCount('bytes', count, bytes);
      return { units: bytes / MiB, seconds };
    } finally {
      socket.destroy();
    }
  },
  readInto: ours(async (client) => {
    const target = Buffer.allocUnsafe(READ_BYTES);
    let count = 0;
    for (let n = await client.readInto(target); n > 0; n = await client.readInto(target)) count += n;
    return count;
  }),
  readBytes: ours(async (client) => {
    let count = 0;
    for (let n = (await client.readBytes(READ_BYTES)).length; n > 0; n = (await client.readBytes(READ_BYTES)).length) count += n;
    return count;
  }),
  chunks: ours(async (client) => {
    let count = 0;
    for await (const chunk of client) count += chunk.length;
    return count;
  }),
};

/** Runs the client bulk comparison over `transport`. */
export function run(transport) {
  const size = `client bulk ${TOTAL_BYTES / MiB} MiB`;
  return compareClients({
    benchmark: 'client-bulk',
    transport,
    unit: 'MiB',
    rounds: ROUNDS,
    faultsPer: { unit: 'GiB', units: 1024 },
    params: { bytes: TOTAL_BYTES },
    contenders: [
      { client: 'readInto', name: `${size}: readInto(64 KiB buffer) vs raw 'data' events`, target: 1.2, firstTarget: 0.9 },
      { client: 'readBytes', name: `${size}: readBytes(${READ_BYTES}) vs raw 'data' events (information)` },
      { client: 'chunks', name: `${size}: for await of chunks vs raw 'data' events (information)` },
    ],
  });
}
