// The processes of the daemon benchmarks that are not Node children on the
// IPC channel: evergreend, socat, haproxy. Each is spawned here and tracked
// by pid; `stopProcess` ends one (SIGTERM, then SIGKILL after a timeout),
// and every one still running when the orchestrator exits — normally, on an
// error or on a signal (ipc.mjs turns SIGINT/SIGTERM into an exit) — is
// killed by its pid.
//
// The kernel's own counters of a process, read from /proc, give every
// contender the same measurement whatever it is written in: CPU time and
// minor page faults (children that exited and were waited for included, so
// socat's forked relays count) and resident memory.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a process may take to exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** How long a process may take to print the line that says it is ready. */
const READY_TIMEOUT_MS = 30_000;
/** Lines of output kept to explain a process that failed to start. */
const KEPT_LINES = 20;
/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

const running = new Map();
process.once('exit', () => {
  for (const pid of running.keys()) killQuietly(pid, 'SIGKILL');
});

/** Whether `command` can be run here (`command -v`). */
export function installed(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Spawns `command` with `args` and `options` (spawn's), tracked for the exit
 * cleanup. Its stdout and stderr are read line by line for as long as it
 * runs (a process must never block on a full pipe), and the first line for
 * which `isReady(line)` returns a value resolves `{ child, pid, ready }`;
 * the start rejects — with its last lines of output — when the process exits
 * first or within READY_TIMEOUT_MS says nothing, and the process is then killed.
 */
export async function startProcess(command, args, isReady, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) {
    const [error] = await once(child, 'error');
    throw new Error(`Cannot start ${command}: ${error.message}`, { cause: error });
  }
  running.set(child.pid, child);
  child.once('exit', () => running.delete(child.pid));
  const lines = [];
  let resolveReady;
  const ready = new Promise((resolve) => (resolveReady = resolve));
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    let carry = '';
    stream.on('data', (text) => {
      const parts = (carry + text).split('\n');
      carry = parts.pop();
      for (const line of parts) {
        lines.push(line);
        if (lines.length > KEPT_LINES) lines.shift();
        const value = isReady(line);
        if (value !== undefined) resolveReady(value);
      }
    });
  }
  const exited = once(child, 'exit').then(([code, signal]) => Promise.reject(new Error(`Cannot start ${command}: it exited (${signal ?? code}):\n  ${lines.join('\n  ')}`)));
  const timeout = sleep(READY_TIMEOUT_MS, undefined, { ref: false }).then(() => Promise.reject(new Error(`Cannot start ${command}: not ready within ${READY_TIMEOUT_MS} ms:\n  ${lines.join('\n  ')}`)));
  try {
    return { child, pid: child.pid, ready: await Promise.race([ready, exited, timeout]) };
  } catch (error) {
    await stopProcess(child);
    throw error;
  } finally {
    exited.catch(() => {});
    timeout.catch(() => {});
  }
}

/** Ends `child` (SIGTERM, then SIGKILL after STOP_TIMEOUT_MS) and resolves once it has exited. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  killQuietly(child.pid, 'SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, false)]);
  if (!stopped) {
    killQuietly(child.pid, 'SIGKILL');
    await exited;
  }
}

/**
 * `{ cpuMicros, minorFaults }` of process `pid` so far: user + system CPU
 * time and minor page faults, its waited-for children's included.
 */
export function processCounters(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces), numbered as in proc(5) from 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n) => Number(fields[n - 3]);
  const ticks = field(14) + field(15) + field(16) + field(17);
  return { cpuMicros: (ticks * 1e6) / TICKS_PER_SECOND, minorFaults: field(10) + field(11) };
}

/** The resident set size of process `pid`, in bytes. */
export function residentBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (kib === null) throw new Error(`Cannot read the RSS of process ${pid}: no VmRSS in /proc/${pid}/status`);
  return Number(kib[1]) * 1024;
}

function killQuietly(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Where the resident memory of process `pid` lies, in bytes, from
 * /proc/<pid>/smaps: `brk` (the main malloc heap, `[heap]`), `anonymous`
 * (other anonymous mappings: V8's heap pages, large or threaded mallocs,
 * stacks) and `file` (mapped files: the node binary, libraries).
 */
export function residentByKind(pid) {
  const kinds = { brk: 0, anonymous: 0, file: 0 };
  let kind;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping !== null) {
      const name = mapping[1];
      kind = name === '[heap]' ? 'brk' : name === '' || name.startsWith('[') ? 'anonymous' : 'file';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB$/.exec(line);
    if (rss !== null) kinds[kind] += Number(rss[1]) * 1024;
  }
  return kinds;
}
