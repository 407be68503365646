// npm run bench (in bench/): every socket-transport benchmark, over loopback
// TCP and over a Unix socket, each printed as ours/raw `node:net` with its
// target. The orchestrator (this process) only starts children, coordinates
// and prints: each server under test and the load client run in their own
// processes. Each rate is printed twice, side by side: warmed (a server
// process that has served rounds before) and on the first connection of a
// fresh server (or client) process (measure.mjs). See docs/benchmarks.md for
// what each measures and the figures.
//
// BENCH_QUICK=1 (small and short), BENCH_ONLY=bulk,client-bulk,lines,echo,pipelined,idle-memory,idle-heap,
// BENCH_TRANSPORTS=tcp,unix, BENCH_PROFILE=dir (CPU profiles of the servers),
// BENCH_NODE=/path/to/node (the Node binary of every child process).
import * as bulk from './bulk.mjs';
import * as clientBulk from './client-bulk.mjs';
import * as lines from './lines.mjs';
import * as echo from './echo.mjs';
import * as pipelined from './pipelined.mjs';
import * as idleMemory from './idle-memory.mjs';
import * as idleHeap from './idle-heap.mjs';
import { transports } from './transports.mjs';
import { ONLY_BENCHMARKS, ONLY_TRANSPORTS, QUICK } from './options.mjs';

const benchmarks = { bulk, 'client-bulk': clientBulk, lines, echo, pipelined, 'idle-memory': idleMemory, 'idle-heap': idleHeap };

if (QUICK) console.log('BENCH_QUICK=1: reduced sizes and rounds; the figures are not the ones the targets are about');
const results = [];
for (const [name, benchmark] of Object.entries(benchmarks)) {
  if (ONLY_BENCHMARKS !== undefined && !ONLY_BENCHMARKS.includes(name)) continue;
  for (const transport of transports) {
    if (ONLY_TRANSPORTS !== undefined && !ONLY_TRANSPORTS.includes(transport.name)) continue;
    // Each result may carry its first-connection figure beside it (measure.mjs).
    for (const result of await benchmark.run(transport)) results.push(result, ...(result.first === undefined ? [] : [result.first]));
  }
}
const missed = results.filter((r) => !r.ok).map((r) => r.name);
console.log(missed.length === 0 ? 'transports: every target met' : `transports: targets missed:\n  ${missed.join('\n  ')}`);
