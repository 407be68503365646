// idle memory: 10,000 connections opened to an echo server (the servers of
// echo.mjs: ours waits in `readUntil('\n')`, raw has its splitter on 'data')
// and left idle. Measured: the server process's RSS once they are all
// accepted and it has settled and collected garbage, minus its RSS before
// the first connection, divided by the number of connections. Each
// measurement uses a fresh server process; ours and raw alternate. Target:
// ours at most 1.25x raw bytes per connection. The V8 heap used per
// connection, measured the same way, is printed for information: it is the
// part of the RSS that the JavaScript objects of a connection account for.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { sized } from './options.mjs';
import { median } from '../runner.mjs';
import { startLoad, startServer } from './children.mjs';
import { reportCost } from './measure.mjs';

export { servers } from './echo.mjs';

const CONNECTIONS = sized(10_000, 1_000);
/**
 * Connections opened per batch; the next batch starts once the server has
 * accepted the last one. Connect completes as soon as the kernel queues the
 * connection, before the server accepts it: without this bound the listen
 * backlog (Node's 511) overflows, and the kernel then drops SYNs (retried a
 * second later) or fails a Unix connect with EAGAIN.
 */
const BATCH_CONNECTIONS = 250;
/** Time the server is left alone before each RSS reading. */
const SETTLE_MS = 1000;
/** How long the server may take to accept a batch. */
const ACCEPT_TIMEOUT_MS = 30_000;
const POLL_MS = 10;
const ROUNDS = sized(3, 1);
const TARGET = 1.25;

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
    const rss = { raw: [], ours: [] };
    const heap = { raw: [], ours: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of round % 2 === 0 ? ['raw', 'ours'] : ['ours', 'raw']) {
        const perConnection = await memoryPerConnection(loader, transport, server);
        rss[server].push(perConnection.rss);
        heap[server].push(perConnection.heapUsed);
      }
    }
    const name = `idle memory, ${CONNECTIONS} connections: echo server RSS per connection [${transport.label}]`;
    const result = reportCost(name, 'bytes', median(rss.ours), median(rss.raw), TARGET);
    const heapUsed = { ours: median(heap.ours), baseline: median(heap.raw) };
    console.log(`  V8 heap used per connection: ours ${heapUsed.ours.toFixed(0)} bytes, baseline ${heapUsed.baseline.toFixed(0)} bytes, ratio ${(heapUsed.ours / heapUsed.baseline).toFixed(2)}x`);
    return [{ ...result, heapUsed }];
  } finally {
    await loader.stop();
  }
}

/** `{ rss, heapUsed }` growth per connection of a fresh `server` holding CONNECTIONS idle connections. */
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
    return { rss: (after.rss - before.rss) / CONNECTIONS, heapUsed: (after.heapUsed - before.heapUsed) / CONNECTIONS };
  } finally {
    // The server goes first, so over TCP its side (not the client's ports) holds TIME_WAIT.
    await child.stop();
    await loader.request('close');
  }
}

async function allAccepted(child, count) {
  const deadline = Date.now() + ACCEPT_TIMEOUT_MS;
  for (let open = await child.request('connections'); open < count; open = await child.request('connections')) {
    if (Date.now() > deadline) throw new Error(`Cannot measure idle memory: the server accepted ${open} of ${count} connections in ${ACCEPT_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}
