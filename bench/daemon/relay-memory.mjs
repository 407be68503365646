// relay memory: does memory come back? evergreend with one `forward` server
// in front of a raw Node echo server. Each round opens CONNECTIONS
// connections through it (in batches), each sends 64 KiB and reads the 64 KiB
// echoed back, then stays open and idle; then every connection is closed.
// Measured, in one daemon process over all rounds: RSS (from /proc) and V8's
// used heap (from `status`) after start-up, with the idle connections, and
// once they are gone, each after SETTLE_MS of rest. Nothing is made to
// collect garbage (evergreend cannot be told to): the figures are what an
// operator sees. Target (issue 19): RSS back within 1.5x of its start-up value
// once the connections are gone, after every round.
import { setTimeout as sleep } from 'node:timers/promises';
import { RpcConnection } from '../control/rpc-connection.mjs';
import { sized } from '../transports/options.mjs';
import { startLoad, startNodeServer, stopAll } from './children.mjs';
import { forwardTo, startDaemon } from './evergreend.mjs';
import { residentByKind, residentBytes } from './processes.mjs';

const CONNECTIONS = sized(6_000, 1_000);
/** Bytes each connection sends and gets back before it goes idle. */
const EXCHANGE_BYTES = 64 * 1024;
/** Connections exchanging at once (the listen backlogs stay far from full). */
const BATCH_CONNECTIONS = 250;
const ROUNDS = sized(4, 2);
/** Time the daemon is left alone before each reading. */
const SETTLE_MS = 2_000;
/** How long the daemon may take to see every connection of a round gone. */
const WAIT_TIMEOUT_MS = 30_000;
const POLL_MS = 20;
/** RSS once the connections are gone, at most this times the start-up RSS. */
const TARGET_RATIO = 1.5;
const MiB = 1024 * 1024;

/** Runs the rounds; resolves `[{ name, ok }]` (ok: every round met the target). */
export async function run() {
  const started = [];
  try {
    const loader = await startLoad();
    started.push(loader);
    const echo = await startNodeServer('raw-echo');
    started.push(echo.child);
    const daemon = await startDaemon([forwardTo(echo.port)], 'evergreend-relay-memory');
    started.push(daemon);
    const rpc = await controlConnection(daemon.socket);
    try {
      return await rounds(daemon, rpc, loader);
    } finally {
      rpc.close();
    }
  } finally {
    await stopAll(started);
  }
}

async function rounds(daemon, rpc, loader) {
  const reading = async () => ({ rss: residentBytes(daemon.pid), heap: (await rpc.call('status')).memory.heapUsed, ...residentByKind(daemon.pid) });
  await sleep(SETTLE_MS);
  const startUp = await reading();
  console.log(`relay memory, ${CONNECTIONS} forward connections x 64 KiB each way, ${ROUNDS} rounds: start-up RSS ${mib(startUp.rss)} (brk ${mib(startUp.brk)}, anonymous ${mib(startUp.anonymous)}, files ${mib(startUp.file)}), heap ${mib(startUp.heap)}`);
  let ok = true;
  for (let round = 1; round <= ROUNDS; round++) {
    for (let open = 0; open < CONNECTIONS; open += BATCH_CONNECTIONS) {
      await loader.request('openExchanged', { port: daemon.ports[0], count: Math.min(BATCH_CONNECTIONS, CONNECTIONS - open), bytes: EXCHANGE_BYTES });
    }
    await sleep(SETTLE_MS);
    const idle = await reading();
    await loader.request('closeIdle');
    await connectionsGone(rpc);
    await sleep(SETTLE_MS);
    const after = await reading();
    const ratio = after.rss / startUp.rss;
    ok &&= ratio <= TARGET_RATIO;
    const perConnection = ((idle.rss - startUp.rss) / CONNECTIONS / 1024).toFixed(1);
    console.log(`  round ${round}: idle RSS ${mib(idle.rss)} (${perConnection} KiB per connection), heap ${mib(idle.heap)}; closed: RSS ${mib(after.rss)} (${ratio.toFixed(2)}x start-up), heap ${mib(after.heap)}`);
    console.log(`    RSS by kind, idle -> closed: malloc heap (brk) ${mib(idle.brk)} -> ${mib(after.brk)}, anonymous (V8 heap, mmaps) ${mib(idle.anonymous)} -> ${mib(after.anonymous)}, files ${mib(idle.file)} -> ${mib(after.file)}`);
  }
  console.log(`  RSS once the connections are gone <= ${TARGET_RATIO}x start-up: ${ok ? 'met' : 'MISSED'}`);
  return [{ name: 'relay memory: RSS back within 1.5x of start-up', ok }];
}

/** A connection to the daemon's control socket, which listens shortly after the servers do (bounded wait). */
async function controlConnection(socket) {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    try {
      return await RpcConnection.connect(socket);
    } catch (error) {
      if (error.code !== 'ENOENT' || Date.now() > deadline) throw error;
      await sleep(POLL_MS);
    }
  }
}

/** Waits (bounded) until the daemon reports no connection. */
async function connectionsGone(rpc) {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (let open = (await rpc.call('status')).connections; open !== 0; open = (await rpc.call('status')).connections) {
    if (Date.now() > deadline) throw new Error(`Cannot measure memory after the close: the daemon holds ${open} connections ${WAIT_TIMEOUT_MS} ms later`);
    await sleep(POLL_MS);
  }
}

function mib(bytes) {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
