// One-way flood of 64-byte datagrams to 127.0.0.1 for 2 s, counted by the
// receiver: ours awaits each datagram in a `for await` loop; the baseline
// counts in a raw node:dgram 'message' listener. Printed: datagrams received
// per second and the share of those sent that were lost (what neither reads
// in time the kernel drops). Both senders are raw node:dgram, the same for
// ours and the baseline:
//  - from a worker thread, as fast as it can (a peer flooding us): the
//    receiver must keep up with a sender that has a core of its own.
//    Target: ours >= 0.95x raw received/s, with a loss at most 1 percentage
//    point above raw's, at the default queue bound; the same with no bound
//    shows what the bound costs;
//  - from the receiver's own thread, in batches of 32 with a turn of the
//    event loop between them (information): the rate is then bound by the
//    CPU one thread spends per datagram, sending and receiving, so our
//    per-datagram cost shows in full.
// Each run stops by itself: the senders stop at the deadline, the receiver
// when its sender says so.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { UDPEndpoint } from '@evergreen/udp';
import { median } from '../../../bench/runner.mjs';

const DURATION_MS = 2000;
const ROUNDS = 5;
const BATCH = 32;
const PAYLOAD = Buffer.alloc(64, 'f');

/** Floods `port` from a worker thread; resolves how many datagrams it sent. */
async function floodFromWorker(port) {
  const worker = new Worker(new URL('./flood-sender.mjs', import.meta.url), { workerData: { port, durationMs: DURATION_MS } });
  // Listen for 'exit' before awaiting the message: a worker that exits while
  // this thread is busy has its last message drained and 'exit' emitted in
  // the same callback, before an await could attach a listener.
  const exited = once(worker, 'exit');
  const [sent] = await once(worker, 'message');
  await exited;
  return sent;
}

/** Floods `port` from this thread, a batch per turn of the event loop; resolves how many it sent. */
async function floodInThread(port) {
  const sender = dgram.createSocket('udp4');
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  const deadline = performance.now() + DURATION_MS;
  let sent = 0;
  while (performance.now() < deadline) {
    for (let i = 1; i < BATCH; i++) sender.send(PAYLOAD, port, '127.0.0.1');
    await new Promise((resolve) => sender.send(PAYLOAD, port, '127.0.0.1', resolve));
    sent += BATCH;
    await nextTurn();
  }
  sender.close();
  return sent;
}

/** Ours: a `for await` loop counting datagrams, on an endpoint made with `options`. */
function ours(flood, options) {
  return async () => {
    const receiver = new UDPEndpoint(options);
    await receiver.bind({ host: '127.0.0.1', port: 0 });
    let received = 0;
    const counting = (async () => {
      for await (const _ of receiver) received++;
    })();
    const start = performance.now();
    const sent = await flood(receiver.sockname.port);
    const seconds = (performance.now() - start) / 1000;
    await nextTurn();
    receiver.close();
    await counting;
    return { received, sent, seconds };
  };
}

function baseline(flood) {
  return async () => {
    const receiver = dgram.createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    let received = 0;
    receiver.on('message', () => received++);
    const start = performance.now();
    const sent = await flood(receiver.address().port);
    const seconds = (performance.now() - start) / 1000;
    await nextTurn();
    receiver.close();
    return { received, sent, seconds };
  };
}

/** No bound a flood of 2 s can reach: what the default queue bound is compared with. */
const UNBOUNDED = { maxQueuedDatagrams: Number.MAX_SAFE_INTEGER, maxQueuedBytes: Number.MAX_SAFE_INTEGER };

/**
 * Runs `contenders` (name -> run) alternately `ROUNDS` times; prints each
 * one's median datagrams received/s and lost share against the baseline's,
 * and returns whether `target` holds: received/s at least `target.rate`x
 * and loss at most `target.lossPoints` percentage points above.
 */
async function compareFlood(title, contenders, target) {
  const names = Object.keys(contenders);
  const samples = Object.fromEntries(names.map((name) => [name, { rates: [], losses: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      globalThis.gc?.();
      const { received, sent, seconds } = await contenders[name]();
      samples[name].rates.push(received / seconds);
      samples[name].losses.push(Math.max(0, 1 - received / sent));
    }
  }
  const rate = (name) => median(samples[name].rates);
  const loss = (name) => median(samples[name].losses) * 100;
  const results = [];
  for (const name of names.filter((n) => n !== 'baseline')) {
    const ratio = rate(name) / rate('baseline');
    const ok = target === undefined || (ratio >= target.rate && loss(name) <= loss('baseline') + target.lossPoints);
    const goal = target === undefined ? '(information)' : `(target >= ${target.rate}x, loss <= raw + ${target.lossPoints} points: ${ok ? 'met' : 'MISSED'})`;
    console.log(
      `${title}, ${name}: ${(rate(name) / 1e3).toFixed(1)}k/s received, ${loss(name).toFixed(1)}% lost; raw dgram ${(rate('baseline') / 1e3).toFixed(1)}k/s, ${loss('baseline').toFixed(1)}% lost; ratio ${ratio.toFixed(2)}x ${goal}`,
    );
    results.push({ name: `${title}, ${name}`, ratio, ok });
  }
  return results;
}

export async function run() {
  return [
    ...(await compareFlood(
      'flood from a sender thread',
      { baseline: baseline(floodFromWorker), ours: ours(floodFromWorker), 'ours, unbounded queue': ours(floodFromWorker, UNBOUNDED) },
      { rate: 0.95, lossPoints: 1 },
    )),
    ...(await compareFlood('flood from the same thread', { baseline: baseline(floodInThread), ours: ours(floodInThread) })),
  ];
}
