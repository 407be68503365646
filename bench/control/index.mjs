// npm run bench (in bench/): the daemon's control pipe against a running
// evergreend. `status` latency with one sequential client (p50, p99) and
// pipelined throughput with 8 clients of 32 requests in flight, each beside
// a raw node:net + msgpackr server answering the same map (interleaved
// rounds); then the same while the daemon relays a bulk transfer through a
// `forward` server, and the relay's rate alone and under control load.
// See docs/benchmarks.md ("The daemon's control pipe") for the figures.
//
// BENCH_QUICK=1 (small and short), BENCH_PROFILE=dir (a CPU profile of the
// daemon), BENCH_CONTROL_OTHER=path/to/evergreend.mjs (a second daemon, e.g.
// a build before a change, in the same interleaved rounds as "other"),
// BENCH_ONLY=control (the control pipe alone, no relay) or BENCH_ONLY=relay.
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { median } from '../runner.mjs';
import { NODE_BINARY } from '../transports/options.mjs';
import { RpcConnection } from './rpc-connection.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const PROFILE_DIR = process.env.BENCH_PROFILE || undefined;
const OTHER = process.env.BENCH_CONTROL_OTHER || undefined;
const ONLY = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const runs = (name) => ONLY === undefined || ONLY.includes(name);
const EVERGREEND = fileURLToPath(new URL('../../apps/daemon/bin/evergreend.mjs', import.meta.url));
const MiB = 1024 * 1024;
const SIZES = QUICK
  ? { rounds: 2, latencyCalls: 2_000, callsPerClient: 1_000, relayBytes: 64 * MiB }
  : { rounds: 5, latencyCalls: 20_000, callsPerClient: 10_000, relayBytes: 512 * MiB };
const CLIENTS = 8;
const DEPTH = 32;
const TARGET_P99_MS = 1;
const TARGET_RATE = 50_000;

const dir = mkdtempSync(join(tmpdir(), 'evergreen-bench-control-'));
const children = [];
process.once('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
// Interrupted: the exit handler above still kills the children by pid.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));

/** A forked child answering `{ id, op }` requests (load-process.mjs). */
class LoadChild {
  #child;
  #nextId = 1;
  #pending = new Map();

  constructor(child) {
    this.#child = child;
    child.on('message', ({ id, result, error }) => {
      const call = this.#pending.get(id);
      this.#pending.delete(id);
      if (error === undefined) call.resolve(result);
      else call.reject(new Error(error));
    });
  }

  static start() {
    const child = fork(fileURLToPath(new URL('./load-process.mjs', import.meta.url)), [], { execPath: NODE_BINARY, stdio: 'inherit' });
    children.push(child);
    return new LoadChild(child);
  }

  request(op, params = {}) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, op, ...params });
    });
  }

  stop() {
    this.#child.send({ op: 'stop' });
  }
}

/** evergreend (`bin`) with no servers, its socket, state and XDG directories in the run's temp directory under `name`. */
async function startDaemon(bin, name) {
  const home = join(dir, name);
  for (const sub of ['', 'config', 'state-home', 'runtime']) mkdirSync(join(home, sub), { mode: 0o700, recursive: true });
  const config = join(home, 'evergreend.json');
  writeFileSync(config, JSON.stringify({ servers: [] }));
  const socket = join(home, 'ctl', 'control.sock');
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}-control.cpuprofile`];
  const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state-home'), XDG_RUNTIME_DIR: join(home, 'runtime') };
  const child = spawn(NODE_BINARY, [...profile, bin, '--config', config, '--socket', socket, '--state-dir', join(home, 'state')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  // Read every line (the daemon writes its log synchronously), until it listens.
  await new Promise((resolve, reject) => {
    lines.on('line', (line) => line.includes('"control socket listening"') && resolve());
    child.once('exit', (code) => reject(new Error(`Cannot start evergreend: it exited with ${code}`)));
  });
  return { child, socket };
}

async function startRaw() {
  const socket = join(dir, 'raw.sock');
  const child = fork(fileURLToPath(new URL('./raw-server.mjs', import.meta.url)), [socket], { execPath: NODE_BINARY, stdio: 'inherit' });
  children.push(child);
  await once(child, 'message');
  return { child, socket };
}

/** CPU time (user + system) a process has used, in µs, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const µs = (ms) => `${(ms * 1000).toFixed(0)} µs`;
const rate = (r) => (r >= 1e3 ? `${(r / 1e3).toFixed(1)}k` : r.toFixed(0));

/**
 * Latency and pipelined rounds against `servers` (name -> { socket, pid }),
 * interleaved. Beside each pipelined rate, the server's CPU time per request
 * (robust to the machine's noise: a round that lost its core is slower, not
 * costlier).
 */
async function controlRounds(load, servers, { rounds = SIZES.rounds, latencyCalls = SIZES.latencyCalls } = {}) {
  const names = Object.keys(servers);
  const sockets = Object.fromEntries(names.map((name) => [name, servers[name].socket]));
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  const rates = Object.fromEntries(names.map((name) => [name, []]));
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const latency = await load.request('latency', { socket: sockets[name], count: latencyCalls });
      samples[name].push(...latency.samples);
      const cpuBefore = cpuMicros(servers[name].pid);
      const { requests, seconds } = await load.request('pipelined', { socket: sockets[name], clients: CLIENTS, depth: DEPTH, count: SIZES.callsPerClient });
      cpu[name].push((cpuMicros(servers[name].pid) - cpuBefore) / requests);
      rates[name].push(requests / seconds);
    }
  }
  return Object.fromEntries(names.map((name) => {
    const sorted = samples[name].sort((a, b) => a - b);
    return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), rate: median(rates[name]), cpu: median(cpu[name]) }];
  }));
}

function printControl(label, ours, raw) {
  const latencyOk = ours.p99 < TARGET_P99_MS;
  const rateOk = ours.rate >= TARGET_RATE;
  console.log(`${label} status latency, 1 client: ours p50 ${µs(ours.p50)} p99 ${µs(ours.p99)}${raw ? `, raw p50 ${µs(raw.p50)} p99 ${µs(raw.p99)}, p99 ratio ${(ours.p99 / raw.p99).toFixed(2)}x` : ''} (target p99 < 1 ms: ${latencyOk ? 'met' : 'MISSED'})`);
  console.log(`${label} status pipelined, ${CLIENTS} clients x ${DEPTH} in flight: ours ${rate(ours.rate)} req/s${raw ? `, raw ${rate(raw.rate)} req/s, ratio ${(ours.rate / raw.rate).toFixed(2)}x` : ''} (target >= 50k req/s: ${rateOk ? 'met' : 'MISSED'})`);
  console.log(`  server CPU per pipelined request: ours ${ours.cpu.toFixed(1)} µs${raw ? `, raw ${raw.cpu.toFixed(1)} µs, ratio ${(ours.cpu / raw.cpu).toFixed(2)}x` : ''}`);
  return [latencyOk, rateOk];
}

/** The control pipe alone: ours, raw (and other) in interleaved rounds. Returns ours and whether its targets were met. */
async function controlAlone(load, contenders) {
  const alone = await controlRounds(load, contenders);
  const met = printControl('control alone [unix]:', alone.ours, alone.raw);
  if (alone.other) printControl('other daemon alone [unix]:', alone.other, alone.raw);
  return { ours: alone.ours, met };
}

/**
 * The daemon relaying a bulk transfer through a `forward` server to the
 * sink, alone and beside the control load, and the control load beside a
 * relay; `controlAlone` (if measured) gives the slowdown of the control pipe.
 */
async function relayRounds(load, relayLoad, rpc, sockets, controlAlone) {
  const { port } = await relayLoad.request('sink');
  const relay = await rpc.call('servers.add', [{ name: 'relay', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tcp://127.0.0.1:${port}` } }]);
  const [, host, relayPort] = /^tcp:\/\/(.+):(\d+)$/.exec(relay.address);
  const push = (params) => relayLoad.request('push', { host, port: Number(relayPort), ...params });
  await push({ bytes: 16 * MiB });

  const relayAlone = [];
  const relayUnderControl = [];
  const controlDuringPush = [];
  for (let round = 0; round < SIZES.rounds; round++) {
    const steps = [
      async () => {
        const { bytes, seconds } = await push({ bytes: SIZES.relayBytes });
        relayAlone.push(bytes / MiB / seconds);
      },
      async () => {
        const background = load.request('pipelined', { socket: sockets.ours.socket, clients: CLIENTS, depth: DEPTH, untilStopped: true });
        const { bytes, seconds } = await push({ bytes: SIZES.relayBytes });
        load.stop();
        const { requests, seconds: controlSeconds } = await background;
        relayUnderControl.push(bytes / MiB / seconds);
        controlDuringPush.push(requests / controlSeconds);
      },
    ];
    for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
  }

  // The raw server is measured under the relay too: it shares the CPU the same way, so ours/raw tells
  // what the relay costs the daemon's own event loop apart from what the machine's contention costs everyone.
  const relayDuringControl = [];
  const underRelay = { ours: [], raw: [] };
  for (let round = 0; round < SIZES.rounds; round++) {
    const background = push({ untilStopped: true });
    // A quarter of the sequential calls: under the relay one takes milliseconds, not microseconds.
    const figures = await controlRounds(load, sockets, { rounds: 1, latencyCalls: SIZES.latencyCalls / 4 });
    relayLoad.stop();
    const { bytes, seconds } = await background;
    relayDuringControl.push(bytes / MiB / seconds);
    underRelay.ours.push(figures.ours);
    underRelay.raw.push(figures.raw);
  }
  const medianOf = (figures) => Object.fromEntries(['p50', 'p99', 'rate', 'cpu'].map((key) => [key, median(figures.map((f) => f[key]))]));
  const loaded = medianOf(underRelay.ours);
  const met = printControl('control under relay load [unix]:', loaded, medianOf(underRelay.raw));

  const alonePerS = median(relayAlone);
  const loadedPerS = median(relayUnderControl);
  console.log(`relay through a forward server (tcp, ${SIZES.relayBytes / MiB} MiB): alone ${alonePerS.toFixed(0)} MiB/s, under ${CLIENTS}-client pipelined control load ${loadedPerS.toFixed(0)} MiB/s (${(loadedPerS / alonePerS).toFixed(2)}x); control meanwhile ${rate(median(controlDuringPush))} req/s`);
  console.log(`relay while the control-under-relay rounds ran: ${median(relayDuringControl).toFixed(0)} MiB/s`);
  if (controlAlone) console.log(`slowdown by the relay: control p50 ${(loaded.p50 / controlAlone.p50).toFixed(2)}x, p99 ${(loaded.p99 / controlAlone.p99).toFixed(2)}x, req/s ${(loaded.rate / controlAlone.rate).toFixed(2)}x; of the relay by the control load: ${(loadedPerS / alonePerS).toFixed(2)}x`);
  return met;
}

const daemon = await startDaemon(EVERGREEND, 'evergreend');
const other = OTHER === undefined ? undefined : await startDaemon(OTHER, 'other');
const raw = await startRaw();
const load = LoadChild.start();
const relayLoad = LoadChild.start();
const rpc = await RpcConnection.connect(daemon.socket);
try {
  if (QUICK) console.log('BENCH_QUICK=1: reduced sizes and rounds; the figures are not the ones the targets are about');
  const server = ({ socket, child }) => ({ socket, pid: child.pid });
  const contenders = { ours: server(daemon), raw: server(raw), ...(other && { other: server(other) }) };
  for (const { socket } of Object.values(contenders)) await load.request('pipelined', { socket, clients: CLIENTS, depth: DEPTH, count: 500 });
  const met = [];
  let alone;
  if (runs('control')) {
    alone = await controlAlone(load, contenders);
    met.push(...alone.met);
  }
  if (runs('relay')) met.push(...(await relayRounds(load, relayLoad, rpc, { ours: contenders.ours, raw: contenders.raw }, alone?.ours)));
  console.log(met.every(Boolean) ? 'control: every target met' : 'control: targets missed (see above)');
} finally {
  rpc.close();
  for (const { child } of [daemon, other].filter(Boolean)) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  process.exit(0);
}
