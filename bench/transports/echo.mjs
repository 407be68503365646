// echo: 50 load clients each doing strict request/response — write one
// 32-byte line, wait for it to come back, write the next — for 5 s against
// an echo server: ours (`readUntil('\n')`, then `write` the line) or raw (the
// splitter of splitter.mjs, writing each line back as it splits it). The
// same load client drives both. Target: ours >= 0.9x raw round trips/s,
// warmed and on the first connections of a fresh server process (see
// measure.mjs), where the round lasts 1 s: the first second of a server
// just started, against the raw server's first second.
//
// What is timed: the load client's clock from the first request to the last
// reply. When the 5 s are up no client sends again, and the round ends when
// each one's last request has come back (counted: it was a full round trip).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sized } from './options.mjs';
import { rawServer, ourServer } from './servers.mjs';
import { lineSplitter } from './splitter.mjs';
import { compareServers } from './measure.mjs';
import { closeRawSocket, connectRawSocket } from './raw-client-socket.mjs';

const CLIENTS = 50;
const DURATION_MS = sized(5000, 1000);
/** The first-connection rounds: a fresh server's first second (its start-up, not diluted by what follows). */
const FIRST_DURATION_MS = sized(1000, 500);
const ROUNDS = sized(5, 2);
const REQUEST = Buffer.from(`${'e'.repeat(31)}\n`);
const TARGET = 0.9;

export const servers = {
  raw: rawServer((socket) => {
    socket.on('data', lineSplitter((line) => socket.write(line)));
    socket.once('end', () => socket.end());
  }),
  ours: ourServer(echoLines),
};

/** Our echo handler: each line read with `readUntil` is written back. */
export async function echoLines(conn) {
  for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
}

export const load = {
  async roundTrips({ transport, address, clients, durationMs }) {
    const sockets = await Promise.all(Array.from({ length: clients }, () => connectRawSocket(transport, address)));
    let roundTrips = 0;
    let running = true;
    const start = performance.now();
    const finished = sockets.map(
      (socket) =>
        new Promise((resolve, reject) => {
          socket.once('error', reject);
          socket.on(
            'data',
            lineSplitter(() => {
              roundTrips++;
              if (running) socket.write(REQUEST);
              else resolve();
            }),
          );
          socket.write(REQUEST);
        }),
    );
    await sleep(durationMs);
    running = false;
    try {
      await Promise.all(finished);
      return { units: roundTrips, seconds: (performance.now() - start) / 1000 };
    } finally {
      await Promise.all(sockets.map(closeRawSocket));
    }
  },
};

/** Runs the echo comparison over `transport`. */
export function run(transport) {
  return compareServers({
    benchmark: 'echo',
    transport,
    unit: 'round trips',
    rounds: ROUNDS,
    load: { op: 'roundTrips', params: { clients: CLIENTS, durationMs: DURATION_MS }, firstParams: { durationMs: FIRST_DURATION_MS } },
    contenders: [{ server: 'ours', name: `echo ${CLIENTS} clients x ${DURATION_MS / 1000} s (first connection: ${FIRST_DURATION_MS / 1000} s): readUntil + write vs raw splitter + write`, target: TARGET, firstTarget: TARGET }],
  });
}

