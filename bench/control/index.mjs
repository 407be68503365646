// npm run bench (in bench/): the daemon's control pipe against a running
// evergreend. `status` latency with one sequential client (p50, p99) and
// pipelined throughput with 8 clients of 32 requests in flight, each beside
// a raw node:net + msgpackr server answering the same map (interleaved
// rounds); then the same while the daemon relays a bulk transfer through a
// `forward` server, and the relay's rate alone and under control load, each
// beside raw Node doing the same two jobs in one process (raw-daemon.mjs).
// See docs/benchmarks.md ("The daemon's control pipe") for the figures.
//
// BENCH_QUICK=1 (small and short), BENCH_PROFILE=dir (a CPU profile of the
// daemon), BENCH_CONTROL_OTHER=path/to/evergreend.mjs (a second daemon, e.g.
// a build before a change, in the same interleaved rounds as "other"),
// BENCH_ONLY=control (the control pipe alone, no relay) or BENCH_ONLY=relay
// (the fairness rounds alone: `npm run bench:fairness`; with
// BENCH_CONTROL_OTHER they compare the relay alone with the other daemon's).
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
/** Issue 17's fairness targets: control `status` p99 under a bulk relay, the relay's rate under a control flood (of its rate alone), and the relay alone (of the other daemon's: within 5%). */
const TARGET_FAIR_P99_MS = 1.5;
const TARGET_RELAY_UNDER_CONTROL = 0.7;
const TARGET_RELAY_ALONE = 0.95;
/** How the relay rounds name each daemon. */
const DAEMON_LABELS = { ours: 'ours', oneProcess: 'raw Node in one process', other: 'the other daemon' };

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

/** Prints the control figures of one contender (`ours`, named `who` in the lines) beside the raw server's; returns whether its targets were met. */
function printControl(label, ours, raw, who = 'ours') {
  const latencyOk = ours.p99 < TARGET_P99_MS;
  const rateOk = ours.rate >= TARGET_RATE;
  console.log(`${label} status latency, 1 client: ${who} p50 ${µs(ours.p50)} p99 ${µs(ours.p99)}${raw ? `, raw p50 ${µs(raw.p50)} p99 ${µs(raw.p99)}, p99 ratio ${(ours.p99 / raw.p99).toFixed(2)}x` : ''} (target p99 < 1 ms: ${latencyOk ? 'met' : 'MISSED'})`);
  console.log(`${label} status pipelined, ${CLIENTS} clients x ${DEPTH} in flight: ${who} ${rate(ours.rate)} req/s${raw ? `, raw ${rate(raw.rate)} req/s, ratio ${(ours.rate / raw.rate).toFixed(2)}x` : ''} (target >= 50k req/s: ${rateOk ? 'met' : 'MISSED'})`);
  console.log(`  server CPU per pipelined request: ${who} ${ours.cpu.toFixed(1)} µs${raw ? `, raw ${raw.cpu.toFixed(1)} µs, ratio ${(ours.cpu / raw.cpu).toFixed(2)}x` : ''}`);
  return [latencyOk, rateOk];
}

/** The control pipe alone: ours, raw (and other) in interleaved rounds. Returns ours and whether its targets were met. */
async function controlAlone(load, contenders) {
  const alone = await controlRounds(load, contenders);
  const met = printControl('control alone [unix]:', alone.ours, alone.raw);
  if (alone.other) printControl('other daemon alone [unix]:', alone.other, alone.raw, 'other');
  return { ours: alone.ours, met };
}

/**
 * The fairness of the daemon's one event loop: a `forward` server relaying
 * a bulk transfer to the sink, alone and beside the control load, and the
 * control load beside such a relay. `daemons` are ours, raw Node doing the
 * same two jobs in one process (raw-daemon.mjs: the floor a single event
 * loop on this machine allows) and, with BENCH_CONTROL_OTHER, the other
 * daemon (a build before a change): each relays through a server of its
 * own, in interleaved rounds, so "the relay alone within 5% of today's" is
 * measured in one run. Our relay is also measured beside the same control
 * flood sent to the raw server, a separate process: what the flood's
 * processes take from the machine, apart from any event loop's sharing.
 * `controlAlone` (if measured) gives the slowdown of the control pipe.
 * Returns whether the targets under the relay and the fairness targets
 * were met.
 */
async function relayRounds(load, relayLoad, daemons, raw, controlAlone) {
  const flood = (socket) => load.request('pipelined', { socket, clients: CLIENTS, depth: DEPTH, untilStopped: true });
  const { port } = await relayLoad.request('sink');
  const names = Object.keys(daemons);
  const push = {};
  for (const name of names) {
    const relay = await daemons[name].rpc.call('servers.add', [{ name: 'relay', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tcp://127.0.0.1:${port}` } }]);
    const [, host, relayPort] = /^tcp:\/\/(.+):(\d+)$/.exec(relay.address);
    push[name] = (params) => relayLoad.request('push', { host, port: Number(relayPort), ...params });
    await push[name]({ bytes: 16 * MiB });
  }
  const samples = () => Object.fromEntries(names.map((name) => [name, []]));
  const relayAlone = samples();
  /** The daemon's CPU µs per MiB relayed alone: robust to a round that lost its core (slower, not costlier). */
  const relayAloneCpu = samples();
  const relayUnderControl = samples();
  const controlDuringPush = samples();
  const relayBesideSeparateFlood = [];
  for (let round = 0; round < SIZES.rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const steps = [
        async () => {
          const cpuBefore = cpuMicros(daemons[name].pid);
          const { bytes, seconds } = await push[name]({ bytes: SIZES.relayBytes });
          relayAlone[name].push(bytes / MiB / seconds);
          relayAloneCpu[name].push((cpuMicros(daemons[name].pid) - cpuBefore) / (bytes / MiB));
        },
        async () => {
          const background = flood(daemons[name].socket);
          const { bytes, seconds } = await push[name]({ bytes: SIZES.relayBytes });
          load.stop();
          const { requests, seconds: controlSeconds } = await background;
          relayUnderControl[name].push(bytes / MiB / seconds);
          controlDuringPush[name].push(requests / controlSeconds);
        },
      ];
      if (name === 'ours') {
        steps.push(async () => {
          const background = flood(raw.socket);
          const { bytes, seconds } = await push[name]({ bytes: SIZES.relayBytes });
          load.stop();
          await background;
          relayBesideSeparateFlood.push(bytes / MiB / seconds);
        });
      }
      for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
    }
  }

  // The raw server is measured under the relay too: it shares the CPU the same way, so ours/raw tells
  // what the relay costs the daemon's own event loop apart from what the machine's contention costs everyone.
  const relayDuringControl = samples();
  const underRelay = { ...samples(), raw: [] };
  for (let round = 0; round < SIZES.rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const background = push[name]({ untilStopped: true });
      // A quarter of the sequential calls: under the relay one takes milliseconds, not microseconds.
      const figures = await controlRounds(load, { [name]: daemons[name], raw }, { rounds: 1, latencyCalls: SIZES.latencyCalls / 4 });
      relayLoad.stop();
      const { bytes, seconds } = await background;
      relayDuringControl[name].push(bytes / MiB / seconds);
      underRelay[name].push(figures[name]);
      underRelay.raw.push(figures.raw);
    }
  }
  const medianOf = (figures) => Object.fromEntries(['p50', 'p99', 'rate', 'cpu'].map((key) => [key, median(figures.map((f) => f[key]))]));
  const loaded = medianOf(underRelay.ours);
  const rawLoaded = medianOf(underRelay.raw);
  const controlMet = printControl('control under relay load [unix]:', loaded, rawLoaded);
  const loadedOf = Object.fromEntries(names.map((name) => [name, medianOf(underRelay[name])]));
  for (const name of names.filter((n) => n !== 'ours')) printControl(`${DAEMON_LABELS[name]} under relay load [unix]:`, loadedOf[name], rawLoaded, name);

  const alonePerS = Object.fromEntries(names.map((name) => [name, median(relayAlone[name])]));
  const loadedPerS = Object.fromEntries(names.map((name) => [name, median(relayUnderControl[name])]));
  for (const name of names) {
    console.log(`relay through ${DAEMON_LABELS[name]}'s forward server (tcp, ${SIZES.relayBytes / MiB} MiB): alone ${alonePerS[name].toFixed(0)} MiB/s, under ${CLIENTS}-client pipelined control load ${loadedPerS[name].toFixed(0)} MiB/s (${(loadedPerS[name] / alonePerS[name]).toFixed(2)}x); control meanwhile ${rate(median(controlDuringPush[name]))} req/s`);
    console.log(`relay through ${DAEMON_LABELS[name]} while the control-under-relay rounds ran: ${median(relayDuringControl[name]).toFixed(0)} MiB/s`);
  }
  if (controlAlone) console.log(`slowdown by the relay: control p50 ${(loaded.p50 / controlAlone.p50).toFixed(2)}x, p99 ${(loaded.p99 / controlAlone.p99).toFixed(2)}x, req/s ${(loaded.rate / controlAlone.rate).toFixed(2)}x; of the relay by the control load: ${(loadedPerS.ours / alonePerS.ours).toFixed(2)}x`);
  const besideSeparate = median(relayBesideSeparateFlood) / alonePerS.ours;
  console.log(`relay through ours beside the same control load sent to the raw server (a separate process): ${median(relayBesideSeparateFlood).toFixed(0)} MiB/s (${besideSeparate.toFixed(2)}x its rate alone: what the flood's processes take from the machine)`);
  const aloneCpu = Object.fromEntries(names.map((name) => [name, median(relayAloneCpu[name])]));
  console.log(`relay alone, the daemon's CPU per MiB: ${names.map((name) => `${DAEMON_LABELS[name]} ${aloneCpu[name].toFixed(0)} µs`).join(', ')}`);
  return [...controlMet, ...fairnessVerdicts(loaded, rawLoaded, loadedOf, alonePerS, loadedPerS, besideSeparate, aloneCpu)];
}

/**
 * Prints one verdict line per fairness target (issue 17), each with the
 * same figure for raw Node doing both jobs in one process (`loadedOf.oneProcess`)
 * and, for the flood, the share the machine leaves the relay when the flood
 * goes to another process (`besideSeparate`); returns whether each target was met.
 */
function fairnessVerdicts(loaded, rawLoaded, loadedOf, alonePerS, loadedPerS, besideSeparate, aloneCpu) {
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  const ms = (value) => `${value.toFixed(2)} ms`;
  const p99Ok = loaded.p99 <= TARGET_FAIR_P99_MS;
  const before = loadedOf.other ? `, other daemon ${ms(loadedOf.other.p99)}` : '';
  console.log(`fairness: control status p99 under a relay: ${ms(loaded.p99)} (raw Node in one process ${ms(loadedOf.oneProcess.p99)}: ${(loaded.p99 / loadedOf.oneProcess.p99).toFixed(2)}x; raw server, a separate process, ${ms(rawLoaded.p99)}${before}) — target <= ${TARGET_FAIR_P99_MS} ms: ${verdict(p99Ok)}`);
  const shareOf = (name) => loadedPerS[name] / alonePerS[name];
  const share = shareOf('ours');
  const shareOk = share >= TARGET_RELAY_UNDER_CONTROL;
  const otherShare = alonePerS.other ? `, other daemon ${shareOf('other').toFixed(2)}x` : '';
  console.log(`fairness: relay under a control flood: ${share.toFixed(2)}x its rate alone (raw Node in one process ${shareOf('oneProcess').toFixed(2)}x; beside the flood sent to a separate process ${besideSeparate.toFixed(2)}x${otherShare}) — target >= ${TARGET_RELAY_UNDER_CONTROL}x: ${verdict(shareOk)}`);
  const onRaw = `raw Node in one process ${alonePerS.oneProcess.toFixed(0)} MiB/s (${(alonePerS.ours / alonePerS.oneProcess).toFixed(2)}x)`;
  if (alonePerS.other === undefined) {
    console.log(`fairness: relay alone: ${alonePerS.ours.toFixed(0)} MiB/s, ${onRaw}; against the daemon before the change: not measured (set BENCH_CONTROL_OTHER=path/to/its/evergreend.mjs)`);
    return [p99Ok, shareOk];
  }
  const alone = alonePerS.ours / alonePerS.other;
  const aloneOk = alone >= TARGET_RELAY_ALONE;
  const cpu = `CPU per MiB ${(aloneCpu.ours / aloneCpu.other).toFixed(2)}x the other daemon's`;
  console.log(`fairness: relay alone: ${alonePerS.ours.toFixed(0)} MiB/s, other daemon ${alonePerS.other.toFixed(0)} MiB/s, ${alone.toFixed(2)}x (${cpu}); ${onRaw} — target >= ${TARGET_RELAY_ALONE}x the other daemon: ${verdict(aloneOk)}`);
  return [p99Ok, shareOk, aloneOk];
}

const daemon = await startDaemon(EVERGREEND, 'evergreend');
const other = OTHER === undefined ? undefined : await startDaemon(OTHER, 'other');
const oneProcess = runs('relay') ? await startDaemon(fileURLToPath(new URL('./raw-daemon.mjs', import.meta.url)), 'one-process') : undefined;
const raw = await startRaw();
const load = LoadChild.start();
const relayLoad = LoadChild.start();
const rpc = await RpcConnection.connect(daemon.socket);
const otherRpc = other === undefined ? undefined : await RpcConnection.connect(other.socket);
const oneProcessRpc = oneProcess === undefined ? undefined : await RpcConnection.connect(oneProcess.socket);
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
  const daemons = { ours: { ...contenders.ours, rpc }, ...(oneProcess && { oneProcess: { ...server(oneProcess), rpc: oneProcessRpc } }), ...(other && { other: { ...contenders.other, rpc: otherRpc } }) };
  if (runs('relay')) met.push(...(await relayRounds(load, relayLoad, daemons, contenders.raw, alone?.ours)));
  console.log(met.every(Boolean) ? 'control: every target met' : 'control: targets missed (see above)');
} finally {
  rpc.close();
  otherRpc?.close();
  oneProcessRpc?.close();
  for (const { child } of [daemon, other, oneProcess].filter(Boolean)) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  process.exit(0);
}
