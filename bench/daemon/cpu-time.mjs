// CPU time of benchmark processes, read from /proc (Linux): what a load
// costs each process per unit, whatever else runs on the machine — the
// figure that tells whether the load client or the server is what fills
// the cores. Elsewhere (no /proc) every reading is undefined.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The CPU time (user + system) `pid` has used, in µs; undefined when it cannot be read. */
export function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const after = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
    return ((Number(after[11]) + Number(after[12])) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** `pid` and its child processes (a daemon's workers), read from /proc; just `[pid]` when they cannot be read. */
export function withChildren(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children];
  } catch {
    return [pid];
  }
}

/** Sums `cpuMicros` over `pids`; undefined when one cannot be read. */
export function totalCpuMicros(pids) {
  let total = 0;
  for (const pid of pids) {
    const micros = cpuMicros(pid);
    if (micros === undefined) return undefined;
    total += micros;
  }
  return total;
}
