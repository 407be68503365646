// idle memory: 10,000 connections opened to a server and left idle.
// Measured: the server process's RSS once they are all accepted and it has
// settled and collected garbage, minus its RSS before the first connection,
// divided by the number of connections. Each measurement uses a fresh server
// process; the servers alternate. The floor: a raw `node:net` server whose
// handler is an `async` function awaiting one promise per connection (what
// any handler written as straight-line async code costs). Targets: ours
// suspended in `readUntil('\n')` and ours suspended in
// `readBytes(n, { partial: true })` at most 1.1x the floor's bytes per
// connection. For information: the raw echo server of echo.mjs (its
// splitter on 'data', no async handler), the floor's handler also holding
// one small array per connection (how steeply RSS follows the heap at this
// size), the V8 heap used per connection
// (the part of the RSS the JavaScript objects account for), and what the
// RSS per connection is made of: the V8 heap's resident young generation,
// old generation and other spaces, and the rest (outside the V8 heap).
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { sized } from './options.mjs';
import { median } from '../runner.mjs';
import { startLoad, startServer } from './children.mjs';
import { reportCost } from './measure.mjs';
import { rawServer, ourServer } from './servers.mjs';
import { echoLines, servers as echoServers } from './echo.mjs';

/** Elements of the array floorHolding holds: 14 numbers, 160 B of heap with the array's headers. */
const HELD_ELEMENTS = 14;

export const servers = {
  raw: echoServers.raw,
  floor: rawServer(async (socket) => {
    await new Promise((resolve) => socket.once('data', resolve));
    socket.end();
  }),
  /** The floor's handler holding one small array while it waits (it returns it, so it is held). */
  floorHolding: rawServer(async (socket) => {
    const held = new Array(HELD_ELEMENTS).fill(0);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.end();
    return held;
  }),
  ours: echoServers.ours,
  oursNodeChunks: ourServer(echoLines, { nodeChunks: true }),
  oursPartial: ourServer(async (conn) => {
    for (let chunk = await conn.readBytes(65536, { partial: true }); chunk.length > 0; chunk = await conn.readBytes(65536, { partial: true })) conn.write(chunk);
  }),
};

const CONNECTIONS = sized(10_000, 1_000);
/**
 * Connections opened per batch; the next batch starts once the server has
 * accepted the last one. Connect completes as soon as the kernel queues the
 * connection, before the server accepts it: without this bound the listen
 * backlog (Node's 511) overflows, and the kernel then drops SYNs (retried a
 * second later) or fails a Unix connect with EAGAIN.
 */
export const BATCH_CONNECTIONS = 250;
/** Time the server is left alone before each RSS reading. */
const SETTLE_MS = 1000;
/** How long the server may take to accept a batch. */
const ACCEPT_TIMEOUT_MS = 30_000;
const POLL_MS = 10;
const ROUNDS = sized(3, 1);
const TARGET = 1.1;
/** The servers measured, in the order of the first round. */
const SERVERS = ['floor', 'ours', 'oursPartial', 'oursNodeChunks', 'raw', 'floorHolding'];

/** Every socket of the load client gets this: the server going away first must not crash it. */
const ignoreError = () => {};
let opened = [];

export const load = {
  async open({ transport, address, count }) {
    const batch = Array.from({ length: count }, () => transport.connectRaw(address));
    for (const socket of batch) socket.on('error', ignoreError);
    opened.push(...batch);
    await Promise.all(batch.map((socket) => once(socket, 'connect')));
  },
  close() {
    for (const socket of opened) socket.destroy();
    opened = [];
  },
};

/** Runs the idle memory comparison over `transport`. */
export async function run(transport) {
  const loader = await startLoad(transport, 'idle-memory');
  try {
    const samples = Object.fromEntries(SERVERS.map((server) => [server, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of round % 2 === 0 ? SERVERS : [...SERVERS].reverse()) {
        samples[server].push(await memoryPerConnection(loader, transport, server));
      }
    }
    const medianOf = (server, part) => median(samples[server].map((sample) => sample[part]));
    const rss = (server) => medianOf(server, 'rss');
    const compare = (server, baseline, what, target) => {
      const name = `idle memory, ${CONNECTIONS} connections: RSS per connection, ${what} [${transport.label}]`;
      const result = reportCost(name, 'bytes', rss(server), rss(baseline), target);
      const heapUsed = { ours: medianOf(server, 'heapUsed'), baseline: medianOf(baseline, 'heapUsed') };
      console.log(`  V8 heap used per connection: ours ${heapUsed.ours.toFixed(0)} bytes, baseline ${heapUsed.baseline.toFixed(0)} bytes, ratio ${(heapUsed.ours / heapUsed.baseline).toFixed(2)}x`);
      return { ...result, heapUsed };
    };
    for (const server of SERVERS) {
      const [young, old, otherHeap, outside, heapUsed] = ['young', 'old', 'otherHeap', 'outside', 'heapUsed'].map((part) => medianOf(server, part).toFixed(0));
      console.log(`  ${server}, RSS per connection ${rss(server).toFixed(0)} bytes: V8 young generation ${young}, old generation ${old}, other V8 spaces ${otherHeap}, outside the V8 heap ${outside} (V8 heap used ${heapUsed}; medians)`);
    }
    return [
      compare('ours', 'floor', "suspended in readUntil('\\n') vs the async-handler floor", TARGET),
      compare('oursPartial', 'floor', 'suspended in readBytes(n, { partial: true }) vs the async-handler floor', TARGET),
      compare('oursNodeChunks', 'floor', "suspended in readUntil('\\n'), reading Node's chunks, vs the async-handler floor (information)"),
      compare('floorHolding', 'floor', 'the floor holding one more small array per connection vs the floor (information)'),
      compare('floor', 'raw', 'the async-handler floor vs a raw echo server (information)'),
      compare('ours', 'raw', "suspended in readUntil('\\n') vs a raw echo server (information)"),
    ];
  } finally {
    await loader.stop();
  }
}

/**
 * Growth per connection of a fresh `server` holding CONNECTIONS idle
 * connections: `rss`, `heapUsed`, the V8 heap's resident `young`, `old` and
 * `otherHeap` pages, and `outside` (RSS not in the V8 heap).
 */
async function memoryPerConnection(loader, transport, server) {
  const { child, address } = await startServer(transport, 'idle-memory', server);
  try {
    const before = await child.request('memory', { settleMs: SETTLE_MS });
    for (let open = 0; open < CONNECTIONS; open += BATCH_CONNECTIONS) {
      const count = Math.min(BATCH_CONNECTIONS, CONNECTIONS - open);
      await loader.request('open', { address, count });
      await allAccepted(child, open + count);
    }
    const after = await child.request('memory', { settleMs: SETTLE_MS });
    const grown = (part) => (after[part] - before[part]) / CONNECTIONS;
    const [rss, young, old, otherHeap] = ['rss', 'young', 'old', 'otherHeap'].map(grown);
    return { rss, heapUsed: grown('heapUsed'), young, old, otherHeap, outside: rss - young - old - otherHeap };
  } finally {
    // The server goes first, so over TCP its side (not the client's ports) holds TIME_WAIT.
    await child.stop();
    await loader.request('close');
  }
}

/** Waits until the server `child` has accepted `count` connections. */
export async function allAccepted(child, count) {
  const deadline = Date.now() + ACCEPT_TIMEOUT_MS;
  for (let open = await child.request('connections'); open < count; open = await child.request('connections')) {
    if (Date.now() > deadline) throw new Error(`Cannot measure idle memory: the server accepted ${open} of ${count} connections in ${ACCEPT_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}
