// relay idle memory: 4,000 connections opened through a relay to the sink
// and left idle (two sockets each in the relay: the client's and its own to
// the sink). Measured: the relay process's RSS once every connection has
// reached the sink and the process has settled, minus its RSS before the
// first connection, divided by the number of connections; minor page faults
// per connection likewise. Contenders: the raw Node relay and evergreend's
// `forward`, each measured in a fresh process, alternating. Neither is made
// to collect garbage (evergreend has no way to be told to): both are read
// as a user would see them. Target (issue 17): at most 1.1x the raw relay's
// RSS per connection, in the median of the rounds.
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from '../runner.mjs';
import { sized } from '../transports/options.mjs';
import { startLoad, startNodeServer, stopAll } from './children.mjs';
import { processCounters, residentBytes } from './processes.mjs';
import { evergreend, rawNode } from './relays.mjs';

const CONNECTIONS = sized(4_000, 1_000);
/**
 * Connections opened per batch; the next batch starts once the sink holds
 * every connection so far (so the relay accepted and connected each one).
 * Connect completes as soon as the kernel queues the connection: without
 * this bound the listen backlogs overflow and SYNs are dropped and retried.
 */
const BATCH_CONNECTIONS = 250;
/** Time the relay is left alone before each RSS reading. */
const SETTLE_MS = 1000;
/** How long the sink may take to see a batch, or to see every connection of a round gone. */
const WAIT_TIMEOUT_MS = 30_000;
const POLL_MS = 10;
const ROUNDS = sized(3, 1);
const TARGET = 1.1;

/** Runs the idle-memory comparison; resolves its result against the target. */
export async function run() {
  const started = [];
  try {
    const loader = await startLoad();
    started.push(loader);
    const sink = await startNodeServer('sink');
    started.push(sink.child);
    const samples = { raw: [], evergreend: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const relay of round % 2 === 0 ? [rawNode, evergreend] : [evergreend, rawNode]) {
        samples[relay.key].push(await perConnection(relay, loader, sink));
      }
    }
    return [printResult(samples)];
  } finally {
    await stopAll(started);
  }
}

/** `{ rss, faults }` growth per connection of a fresh `relay` holding CONNECTIONS idle connections. */
async function perConnection(relay, loader, sink) {
  const running = await relay.start(sink.port);
  try {
    await sleep(SETTLE_MS);
    const before = { rss: residentBytes(running.pid), ...processCounters(running.pid) };
    for (let open = 0; open < CONNECTIONS; open += BATCH_CONNECTIONS) {
      const count = Math.min(BATCH_CONNECTIONS, CONNECTIONS - open);
      await loader.request('openIdle', { port: running.port, count });
      await sinkHolds(sink, open + count);
    }
    await sleep(SETTLE_MS);
    const after = { rss: residentBytes(running.pid), ...processCounters(running.pid) };
    return { rss: (after.rss - before.rss) / CONNECTIONS, faults: (after.minorFaults - before.minorFaults) / CONNECTIONS };
  } finally {
    await running.stop();
    await loader.request('closeIdle');
    await sinkHolds(sink, 0);
  }
}

/** Waits (bounded) until the sink holds exactly `count` connections. */
async function sinkHolds(sink, count) {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (let open = await sink.child.request('connections'); open !== count; open = await sink.child.request('connections')) {
    if (Date.now() > deadline) throw new Error(`Cannot measure idle memory: the sink holds ${open} connections, expected ${count} within ${WAIT_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

function printResult(samples) {
  const raw = { rss: median(samples.raw.map((s) => s.rss)), faults: median(samples.raw.map((s) => s.faults)) };
  const ours = { rss: median(samples.evergreend.map((s) => s.rss)), faults: median(samples.evergreend.map((s) => s.faults)) };
  const ratio = ours.rss / raw.rss;
  const ok = ratio <= TARGET;
  const rounds = (key) => samples[key].map((s) => s.rss.toFixed(0)).join(' / ');
  console.log(`relay idle memory, ${CONNECTIONS} connections (2 sockets each): RSS per connection: ${evergreend.name} ${ours.rss.toFixed(0)} bytes (rounds ${rounds('evergreend')}), ${rawNode.name} ${raw.rss.toFixed(0)} bytes (rounds ${rounds('raw')}), ratio ${ratio.toFixed(2)}x (target <= ${TARGET}x: ${ok ? 'met' : 'MISSED'})`);
  console.log(`  minor faults per connection: ${evergreend.name} ${ours.faults.toFixed(2)}, ${rawNode.name} ${raw.faults.toFixed(2)}`);
  return { name: `relay idle memory <= ${TARGET}x the raw relay`, ok };
}
