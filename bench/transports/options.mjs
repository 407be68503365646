// How this run was asked for, from the environment: the quick mode and the
// filters that let one benchmark or one transport run alone while iterating,
// and where the server children write CPU profiles when asked to.

/** `BENCH_QUICK=1`: smaller sizes and fewer rounds, for iterating (figures are not comparable to a full run). */
export const QUICK = process.env.BENCH_QUICK === '1';

/** `BENCH_ONLY=lines,echo`: only these benchmarks (default: all). */
export const ONLY_BENCHMARKS = listOf(process.env.BENCH_ONLY);

/** `BENCH_TRANSPORTS=unix`: only these transports (default: all). */
export const ONLY_TRANSPORTS = listOf(process.env.BENCH_TRANSPORTS);

/**
 * `BENCH_PROFILE=dir`: every server child runs with `--cpu-prof` and writes
 * its profile into `dir` when it exits.
 */
export const PROFILE_DIR = process.env.BENCH_PROFILE || undefined;

/**
 * `BENCH_NODE=/path/to/node`: the Node binary every child process (servers
 * under test, load clients) runs under; default: the one running this.
 */
export { NODE_BINARY } from '../node-binary.mjs';

/** `full` normally, `quick` under `BENCH_QUICK=1`. */
export function sized(full, quick) {
  return QUICK ? quick : full;
}

function listOf(value) {
  return value ? value.split(',').map((name) => name.trim()).filter(Boolean) : undefined;
}
