// The child processes a benchmark starts: a server under test (one process
// per server, fresh or kept across rounds) and the load client. Unix socket
// files live in one temporary directory per run, removed when the
// orchestrator exits, also after a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from './ipc.mjs';
import { PROFILE_DIR } from './options.mjs';

const GC_FLAGS = ['--expose-gc'];

let socketDir;
let profiles = 0;

/** The run's directory for socket files, made on first use. */
function runDir() {
  if (socketDir === undefined) {
    socketDir = mkdtempSync(join(tmpdir(), 'evergreen-bench-'));
    process.once('exit', () => rmSync(socketDir, { recursive: true, force: true }));
  }
  return socketDir;
}

/**
 * Starts `servers[server]` of `benchmark` over `transport` in its own process;
 * resolves `{ child, address }` once it listens. Profiled under BENCH_PROFILE.
 */
export async function startServer(transport, benchmark, server) {
  const flags = [...GC_FLAGS, ...profileFlags(`${benchmark}-${server}-${transport.name}`)];
  const { child, ready } = await Child.start('./server-process.mjs', [transport.name, benchmark, server, runDir()], flags);
  return { child, address: ready };
}

/** Starts the load client of `benchmark` over `transport` in its own process. */
export async function startLoad(transport, benchmark) {
  const { child } = await Child.start('./load-process.mjs', [transport.name, benchmark], GC_FLAGS);
  return child;
}

/** Under BENCH_PROFILE, `--cpu-prof` writing `<dir>/<name>-<n>.cpuprofile`. */
function profileFlags(name) {
  if (PROFILE_DIR === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-${++profiles}.cpuprofile`];
}
