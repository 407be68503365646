// The Node binary a benchmark runs under: `BENCH_NODE=/path/to/node` (any
// Node >= 20), default the one that started it. In-process benchmarks (each
// package's bench/index.mjs) call `runUnderBenchNode` first: under another
// binary they run again, as a child of that binary, and exit with its
// status. The socket benchmarks (bench/transports) start every measured
// process with `NODE_BINARY`.
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Set in the environment of a benchmark run again under `BENCH_NODE`, so it runs, not again. */
const CHILD_MARK = 'EVERGREEN_BENCH_UNDER_NODE';

/** The binary every measured process runs under. */
export const NODE_BINARY = process.env.BENCH_NODE || process.execPath;

/**
 * Under a `BENCH_NODE` other than this process's binary, runs `script` (an
 * `import.meta.url`) again under it, with the same flags and arguments, and
 * exits with its status; otherwise returns at once.
 */
export function runUnderBenchNode(script) {
  // Already the child (a binary may name itself differently: /bin/node is /usr/bin/node).
  if (process.env[CHILD_MARK] === '1' || realpathSync(NODE_BINARY) === realpathSync(process.execPath)) return;
  const env = { ...process.env, [CHILD_MARK]: '1' };
  const { status, signal, error } = spawnSync(NODE_BINARY, [...process.execArgv, fileURLToPath(script), ...process.argv.slice(2)], { stdio: 'inherit', env });
  if (error !== undefined) throw new Error(`Cannot run the benchmark under ${NODE_BINARY}: ${error.message}`, { cause: error });
  process.exit(status ?? (signal === null ? 1 : 128));
}
