// evergreend as the benchmarks run it: a real process,
// `node apps/daemon/bin/evergreend.mjs --config … --socket … --state-dir …`,
// with its config, control socket, state and XDG directories in a temporary
// directory of its own (so it neither reads nor writes the user's). Every
// server listens on 127.0.0.1 port 0; the bound ports are read from the
// daemon's "evergreend started" log line, which lists the bound URIs in the
// order of the config's servers. Under BENCH_PROFILE=dir the daemon runs
// with `--cpu-prof` and writes its profile into dir when it stops.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_BINARY, PROFILE_DIR } from '../transports/options.mjs';
import { startProcess, stopProcess } from './processes.mjs';
import { freshDir } from './run-dir.mjs';

const BIN = fileURLToPath(new URL('../../apps/daemon/bin/evergreend.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../apps/daemon/dist/daemon/main.js', import.meta.url));
const STARTED = 'evergreend started';

/**
 * Limits that stay out of a benchmark's way: every connection comes from
 * 127.0.0.1, none is idled out, and a stop does not wait for draining.
 */
const UNLIMITED = { maxConnections: 1_000_000, maxPerSource: 1_000_000, idleTimeoutMs: 0, drainMs: 0 };

let profiles = 0;

/** A forward server spec relaying to 127.0.0.1:`port`. */
export function forwardTo(port) {
  return { name: 'forward', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tcp://127.0.0.1:${port}` }, ...UNLIMITED };
}

/**
 * A `tls://` server spec terminating TLS with the certificate and key in the
 * PEM files `certPath` and `keyPath` and forwarding to 127.0.0.1:`port` in
 * plain TCP.
 */
export function tlsForwardTo(port, { certPath, keyPath }) {
  return { ...forwardTo(port), name: 'tls-forward', listen: 'tls://127.0.0.1:0', tls: { cert: certPath, key: keyPath } };
}

/** An echo server spec. */
export function echoServer() {
  return { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, ...UNLIMITED };
}

/**
 * Starts evergreend hosting `servers` (specs as in its config file), with
 * the config's other `settings` (such as `{ workers: 2 }`);
 * resolves `{ pid, ports, socket, stop() }` once it has said it started,
 * `ports` in the order of `servers`, `socket` its control socket (listening
 * just after the start is logged). Rejects when it exits first or says nothing in time
 * (its last output in the message), and when it has not been built.
 */
export async function startDaemon(servers, name = 'evergreend', settings = {}) {
  if (!existsSync(BUILT)) throw new Error(`Cannot start evergreend: ${BUILT} is missing (run \`npm run build\` at the root first)`);
  const dir = freshDir(name);
  const config = join(dir, 'evergreend.json');
  writeFileSync(config, JSON.stringify({ servers, log: { level: 'info' }, ...settings }));
  const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state-home'), XDG_RUNTIME_DIR: join(dir, 'runtime') };
  delete env.EVERGREEN_SOCKET;
  const socket = join(dir, 'control.sock');
  const args = [...profileFlags(name), BIN, '--config', config, '--socket', socket, '--state-dir', join(dir, 'state')];
  const { child, pid, ready } = await startProcess(NODE_BINARY, args, startedPorts, { env });
  if (ready.length !== servers.length) {
    await stopProcess(child);
    throw new Error(`Cannot use evergreend: it started ${ready.length} servers, ${servers.length} were configured`);
  }
  return { pid, ports: ready, socket, stop: () => stopProcess(child) };
}

/** The ports of the "evergreend started" line (`servers: ["tcp://127.0.0.1:41234", …]`), else undefined. */
function startedPorts(line) {
  if (!line.includes(STARTED)) return undefined;
  const record = JSON.parse(line);
  if (record.msg !== STARTED) return undefined;
  return record.servers.map((uri) => Number(new URL(uri).port));
}

/** The `--cpu-prof` flags that write `name`'s profile into BENCH_PROFILE's directory (none without it). */
export function profileFlags(name) {
  if (PROFILE_DIR === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-${++profiles}.cpuprofile`];
}
