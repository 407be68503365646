// evergreend across cores (`npm run bench:workers`): a CPU-bound module
// handler (fixtures/cpu-echo.mjs: some 2 ms of integer work at each
// connection's start, each line echoed after 0.25 ms more) served by evergreend with workers: 0, 1 and 2, and by a raw
// Node server doing the same work, each in its own process(es), kept for
// all runs and measured in interleaved order. Two loads from the load
// client: the connection rate (50 loops of connect, one line, close) and
// echo round trips (50 held connections, one line at a time).
// Targets (median of the runs): workers: 2 >= 1.4x workers: 0, workers: 1
// >= 0.9x workers: 0 (the cost of the primary's hand-off). Every figure is
// also printed against raw Node. The machine's core count and load average
// are printed first: on 2 shared cores single runs move a lot, which is why
// the verdict is the median. Each run also prints the CPU time each side
// spent per unit (from /proc, on Linux): the load client's, and the
// server's (for evergreend with workers, the primary's share of it) — when
// the client's is not small beside the server's, the client shares the
// cores and the ratios say less about the daemon. BENCH_RUNS=n (default 3),
// BENCH_QUICK=1.
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median, report } from '../runner.mjs';
import { QUICK, sized } from '../transports/options.mjs';
import { startLoad, startNodeServer, stopAll } from './children.mjs';
import { cpuMicros, totalCpuMicros, withChildren } from './cpu-time.mjs';
import { startDaemon } from './evergreend.mjs';

const CONCURRENCY = 50;
const DURATION_MS = sized(5000, 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const HANDLER = fileURLToPath(new URL('./fixtures/cpu-echo.mjs', import.meta.url));
const TARGETS = { 2: 1.4, 1: 0.9 };
const UNLIMITED = { maxConnections: 1_000_000, maxPerSource: 1_000_000, idleTimeoutMs: 0, drainMs: 0 };
const LOADS = [
  { op: 'connectionRate', title: 'connection rate', unit: 'connections' },
  { op: 'echoRoundTrips', title: 'echo round trips', unit: 'round trips' },
];

const cpuEcho = { name: 'cpu-echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: HANDLER }, ...UNLIMITED };

console.log(`workers benchmark: ${availableParallelism()} cores, load average ${loadavg().map((each) => each.toFixed(2)).join(' ')}, ${RUNS} runs of ${DURATION_MS / 1000} s per load and contender${QUICK ? ' (BENCH_QUICK=1: not the figures the targets are about)' : ''}`);
const started = [];
let missed = 0;
try {
  const loader = await startLoad();
  started.push(loader);
  const raw = await startNodeServer('raw-cpu-echo');
  started.push(raw.child);
  const contenders = [{ key: 'raw', name: 'raw Node', port: raw.port, pids: [raw.pid] }];
  for (const workers of [0, 1, 2]) {
    const daemon = await startDaemon([cpuEcho], `evergreend-workers-${workers}`, { workers });
    started.push(daemon);
    contenders.push({ key: workers, name: `workers: ${workers}`, port: daemon.ports[0], pids: withChildren(daemon.pid) });
  }
  for (const { op, title, unit } of LOADS) {
    const rates = Object.fromEntries(contenders.map(({ key }) => [key, []]));
    const costs = Object.fromEntries(contenders.map(({ key }) => [key, []]));
    for (let run = 0; run < RUNS; run += 1) {
      for (const contender of run % 2 === 0 ? contenders : [...contenders].reverse()) {
        await loader.request('gc');
        const before = cpuOf(loader, contender);
        const { units, seconds } = await loader.request(op, { port: contender.port, concurrency: CONCURRENCY, durationMs: DURATION_MS });
        rates[contender.key].push(units / seconds);
        costs[contender.key].push(perUnit(before, cpuOf(loader, contender), units));
      }
      console.log(`  ${title}, run ${run + 1}: ${contenders.map(({ key, name }) => `${name} ${rates[key][run].toFixed(0)}/s`).join(', ')}`);
      console.log(`    CPU µs per ${unit.replace(/s$/, '')}: ${contenders.map(({ key, name }) => `${name} ${costs[key][run]}`).join('; ')}`);
    }
    const rate = (key) => median(rates[key]);
    for (const workers of [1, 2]) {
      const runs = rates[workers].map((each, run) => `${(each / rates[0][run]).toFixed(2)}x`).join(', ');
      console.log(`  ${title}, workers: ${workers} vs workers: 0 per run: ${runs}`);
      if (!report(`${title}: workers: ${workers} vs workers: 0 (median)`, unit, rate(workers), rate(0), TARGETS[workers]).ok) missed += 1;
    }
    for (const workers of [0, 1, 2]) report(`${title}: workers: ${workers} vs raw Node (information)`, unit, rate(workers), rate('raw'));
  }
} finally {
  await stopAll(started);
}
/** The CPU time so far of the load client, the contender's first process and its others (a daemon's workers), in µs. */
function cpuOf(loader, { pids }) {
  return { client: cpuMicros(loader.pid), first: cpuMicros(pids[0]), others: totalCpuMicros(pids.slice(1)) };
}

/** What `after - before` cost per unit, as printed: `client C server S` (`(primary P)` when it has workers); `n/a` without /proc. */
function perUnit(before, after, units) {
  const each = (key) => (after[key] - before[key]) / units;
  if ([before, after].some((reading) => Object.values(reading).includes(undefined))) return 'n/a';
  const server = each('first') + each('others');
  return `client ${each('client').toFixed(0)} server ${server.toFixed(0)}${each('others') > 0 ? ` (primary ${each('first').toFixed(0)})` : ''}`;
}

console.log(missed === 0 ? 'workers: every target met' : `workers: ${missed} target(s) missed`);
