import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** The most worker processes a daemon runs (64): more than any machine it is meant for has cores, few enough that a typo cannot fork thousands. */
export const MAX_WORKERS = 64;

/**
 * `workers` (and `--workers`): how many worker processes serve the
 * connections. 0, the default, serves them in the daemon's own process;
 * `"auto"` is one per CPU (`os.availableParallelism()`). Read at start: a
 * reload does not change it.
 */
export const workersSchema = z
  .union([z.int().min(0).max(MAX_WORKERS), z.literal('auto')])
  .describe(`How many worker processes serve the connections: 0 (default) serves them in the daemon's process, "auto" one per CPU, at most ${MAX_WORKERS}; read at start`);

/** The number of workers `workers` asks for (`"auto"`: the CPUs Node may use). */
export function workerCount(workers: number | 'auto'): number {
  return workers === 'auto' ? Math.min(MAX_WORKERS, availableParallelism()) : workers;
}
