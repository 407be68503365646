// The daemon's benchmarks (`node bench/daemon/index.mjs`; part of
// `npm run bench`): evergreend as a real process against raw Node servers
// (and socat and HAProxy for the relay) in the same run, interleaved. The
// orchestrator (this process) only starts processes, coordinates and prints;
// every process it starts is killed by pid when it exits, whatever happens.
// See docs/benchmarks.md ("evergreend") for what each measures and the figures.
//
// BENCH_QUICK=1 (small and short), BENCH_ONLY=relay,connection-rate,relay-idle-memory,relay-memory
// (the names are distinct from the transport benchmarks', so one BENCH_ONLY
// filters both suites), BENCH_PROFILE=dir (evergreend runs with --cpu-prof),
// BENCH_NODE=/path/to/node (evergreend and every Node child run under it).
import * as relay from './relay.mjs';
import * as connectionRate from './connection-rate.mjs';
import * as relayIdleMemory from './relay-idle-memory.mjs';
import * as relayMemory from './relay-memory.mjs';
import { ONLY_BENCHMARKS, QUICK } from '../transports/options.mjs';

const benchmarks = { relay, 'connection-rate': connectionRate, 'relay-idle-memory': relayIdleMemory, 'relay-memory': relayMemory };

const chosen = Object.entries(benchmarks).filter(([name]) => ONLY_BENCHMARKS === undefined || ONLY_BENCHMARKS.includes(name));
if (chosen.length > 0) {
  if (QUICK) console.log('BENCH_QUICK=1: reduced sizes and rounds; the figures are not the ones the targets are about');
  const results = [];
  for (const [, benchmark] of chosen) results.push(...(await benchmark.run()));
  const missed = results.filter((r) => !r.ok).map((r) => r.name);
  console.log(missed.length === 0 ? 'daemon: every target met' : `daemon: targets missed:\n  ${missed.join('\n  ')}`);
}
