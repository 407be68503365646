// One-way flood of 64-byte datagrams to 127.0.0.1 for 2 s, counted by the
// receiver in this process. Printed for each receiver: datagrams received per
// second, the share of those sent that were lost (what the receiver does not
// read in time, the kernel drops), and the receiver's CPU time per datagram
// received. The receivers:
//  - raw: a node:dgram 'message' listener that counts (the baseline);
//  - receive(): `await ep.receive()` in a loop;
//  - receiveBatch(): `for await (const batch of ep.batches())`.
// The senders, both raw node:dgram, the same for every receiver:
//  - a separate Node process (bench/flood-sender.mjs: 64 datagrams per turn
//    of its event loop, at most 256 in flight), as a peer flooding us would
//    be: the receiver must keep up with a sender that has a CPU of its own,
//    so at saturation every bit of CPU the receiver spends per datagram
//    turns into loss. Three runs (each receiver once per run, in rotating
//    order), then the median of the runs' ratios against the target:
//    received/s >= 0.95x raw's and loss at most raw's + 1 percentage point,
//    for receive() and for receiveBatch() (and, information, CPU per
//    datagram within 5% of raw's);
//  - the receiver's own thread, 32 datagrams per turn of the event loop
//    (information): the rate is then bound by the CPU one thread spends per
//    datagram, sending and receiving, so the receive path's cost shows in full.
// Each run stops by itself: the sender stops at its deadline (the process
// is killed by pid if the run fails), the receiver when the sender says so.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { UDPEndpoint } from '@evergreen/udp';
import { runUnderBenchNode } from '../../../bench/node-binary.mjs';
import { median } from '../../../bench/runner.mjs';

const DURATION_MS = 2000;
const RUNS = 3;
const SAME_THREAD_ROUNDS = 3;
const BATCH = 32;
const PAYLOAD = Buffer.alloc(64, 'f');
/** How long the receiver keeps reading after the sender is done: what is still in the kernel's buffer arrives within it. */
const SETTLE_MS = 50;
/** The sender process gets this long beyond its flood before it is killed and the run fails. */
const SENDER_GRACE_MS = 10_000;
const SENDER = fileURLToPath(new URL('./flood-sender.mjs', import.meta.url));

/** Floods `port` from a separate Node process; resolves `{ sent, seconds }` as it reports them. */
async function floodFromProcess(port) {
  const child = spawn(process.execPath, [SENDER, String(port), String(DURATION_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killer = setTimeout(() => child.kill(), DURATION_MS + SENDER_GRACE_MS);
  try {
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (output += text));
    const [code, signal] = await once(child, 'exit');
    if (code !== 0) throw new Error(`Cannot flood: the sender process exited with ${signal ?? code}`);
    return JSON.parse(output);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}

/** Floods `port` from this thread, a batch per turn of the event loop; resolves `{ sent, seconds }`. */
async function floodInThread(port) {
  const sender = dgram.createSocket('udp4');
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  const start = performance.now();
  const deadline = start + DURATION_MS;
  let sent = 0;
  while (performance.now() < deadline) {
    for (let i = 1; i < BATCH; i++) sender.send(PAYLOAD, port, '127.0.0.1');
    await new Promise((resolve) => sender.send(PAYLOAD, port, '127.0.0.1', resolve));
    sent += BATCH;
    await nextTurn();
  }
  sender.close();
  return { sent, seconds: (performance.now() - start) / 1000 };
}

/**
 * Runs `flood` against a receiver started by `start(port)` on a fresh socket
 * (`open()` resolves `{ port, count(), close() }`); returns received, sent,
 * the sender's seconds and this process's CPU microseconds meanwhile.
 */
async function measure(open, flood) {
  const receiver = await open();
  globalThis.gc?.();
  const cpuBefore = process.cpuUsage();
  try {
    const { sent, seconds } = await flood(receiver.port);
    await sleep(SETTLE_MS);
    const cpu = process.cpuUsage(cpuBefore);
    return { received: receiver.count(), sent, seconds, cpuMicros: cpu.user + cpu.system };
  } finally {
    await receiver.close();
  }
}

async function openRaw() {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  let received = 0;
  socket.on('message', () => received++);
  return { port: socket.address().port, count: () => received, close: async () => socket.close() };
}

/** An endpoint read by `consume(endpoint, counter)` until it is closed. */
function openEndpoint(consume) {
  return async () => {
    const endpoint = new UDPEndpoint();
    await endpoint.bind({ host: '127.0.0.1', port: 0 });
    const counter = { received: 0 };
    const consuming = consume(endpoint, counter);
    return {
      port: endpoint.sockname.port,
      count: () => counter.received,
      close: async () => {
        endpoint.close();
        await consuming;
      },
    };
  };
}

const RECEIVERS = {
  raw: openRaw,
  'receive()': openEndpoint(async (endpoint, counter) => {
    try {
      for (;;) {
        await endpoint.receive();
        counter.received++;
      }
    } catch (error) {
      if (!endpoint.closed) throw error;
    }
  }),
  'receiveBatch()': openEndpoint(async (endpoint, counter) => {
    for await (const batch of endpoint.batches()) counter.received += batch.length;
  }),
};
const OURS = Object.keys(RECEIVERS).filter((name) => name !== 'raw');

const k = (rate) => `${(rate / 1e3).toFixed(1)}k/s`;
const pct = (share) => `${(share * 100).toFixed(1)}%`;

/** One run: every receiver once against `flood`, in `order`; returns name -> { rate, loss, cpuPerDatagram }. */
async function floodRun(flood, order) {
  const results = {};
  for (const name of order) {
    const { received, sent, seconds, cpuMicros } = await measure(RECEIVERS[name], flood);
    results[name] = { rate: received / seconds, loss: Math.max(0, 1 - received / sent), cpuPerDatagram: (cpuMicros * 1000) / received };
  }
  return results;
}

function describeRun(label, results) {
  const raw = results.raw;
  const parts = Object.entries(results).map(([name, r]) => {
    const vsRaw = name === 'raw' ? '' : ` (${(r.rate / raw.rate).toFixed(2)}x, CPU ${(r.cpuPerDatagram / raw.cpuPerDatagram).toFixed(2)}x)`;
    return `${name} ${k(r.rate)} ${pct(r.loss)} lost ${r.cpuPerDatagram.toFixed(0)} ns CPU/datagram${vsRaw}`;
  });
  console.log(`${label}: ${parts.join('; ')}`);
}

/** The flood from a separate process: three runs, then the medians against the targets. */
async function floodFromSenderProcess() {
  const title = 'flood from a sender process';
  const names = Object.keys(RECEIVERS);
  console.log(`${title}: Node ${process.version}, load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const order = names.map((_, i) => names[(i + run) % names.length]);
    runs.push(await floodRun(floodFromProcess, order));
    describeRun(`${title}, run ${run + 1}/${RUNS}`, runs.at(-1));
  }
  const results = [];
  for (const name of OURS) {
    const ratio = median(runs.map((r) => r[name].rate / r.raw.rate));
    const extraLoss = median(runs.map((r) => r[name].loss - r.raw.loss));
    const cpu = median(runs.map((r) => r[name].cpuPerDatagram / r.raw.cpuPerDatagram));
    const ok = ratio >= 0.95 && extraLoss <= 0.01;
    const points = (share) => `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)}`;
    console.log(
      `${title}, ${name}: median of ${RUNS} runs ${ratio.toFixed(2)}x raw's received/s ` +
        `(runs ${runs.map((r) => (r[name].rate / r.raw.rate).toFixed(2)).join(', ')}), ` +
        `loss ${points(extraLoss)} points over raw's (runs ${runs.map((r) => `${pct(r[name].loss)} vs ${pct(r.raw.loss)}`).join(', ')}), ` +
        `CPU per datagram ${cpu.toFixed(2)}x raw's (runs ${runs.map((r) => (r[name].cpuPerDatagram / r.raw.cpuPerDatagram).toFixed(2)).join(', ')}) ` +
        `(target >= 0.95x, loss <= raw + 1 point: ${ok ? 'met' : 'MISSED'}; CPU <= 1.05x: ${cpu <= 1.05 ? 'met' : 'missed'})`,
    );
    results.push({ name: `${title}, ${name}`, ratio, ok });
  }
  return results;
}

/** The flood from this thread (information): medians of a few rounds. */
async function floodFromSameThread() {
  const title = 'flood from the same thread (information)';
  const names = Object.keys(RECEIVERS);
  const runs = [];
  for (let round = 0; round < SAME_THREAD_ROUNDS; round++) {
    runs.push(await floodRun(floodInThread, names.map((_, i) => names[(i + round) % names.length])));
  }
  const raw = median(runs.map((r) => r.raw.rate));
  for (const name of OURS) {
    const ratio = median(runs.map((r) => r[name].rate / r.raw.rate));
    console.log(`${title}, ${name}: ${k(median(runs.map((r) => r[name].rate)))} received; raw dgram ${k(raw)}; ratio ${ratio.toFixed(2)}x`);
  }
  return [];
}

export async function run() {
  return [...(await floodFromSenderProcess()), ...(await floodFromSameThread())];
}

// `npm run bench:flood` (node bench/flood.mjs) runs this benchmark alone,
// under BENCH_NODE when it is set.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runUnderBenchNode(import.meta.url);
  const missed = (await run()).filter((r) => !r.ok).map((r) => r.name);
  console.log(missed.length === 0 ? 'udp flood: every target met' : `udp flood: targets missed: ${missed.join(', ')}`);
}
