// One-way flood of 64-byte datagrams to 127.0.0.1 for 2 s, counted by the
// receiver: ours awaits each datagram in a `for await` loop; the baseline
// counts in a raw node:dgram 'message' listener. Unit: datagrams received
// (what neither reads in time the kernel drops). Both senders are raw
// node:dgram, the same for ours and the baseline:
//  - from a worker thread, as fast as it can (a peer flooding us): the
//    receiver must keep up with a sender that has a core of its own;
//  - from the receiver's own thread, in batches of 32 with a turn of the
//    event loop between them: the rate is then bound by the CPU one thread
//    spends per datagram, sending and receiving, so our per-datagram cost
//    shows in full.
// Each run stops by itself: the senders stop at the deadline, the receiver
// when its sender says so.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { UDPEndpoint } from '@evergreen/udp';
import { compare } from '../../../bench/runner.mjs';

const DURATION_MS = 2000;
const BATCH = 32;
const PAYLOAD = Buffer.alloc(64, 'f');

/** Floods `port` from a worker thread; resolves when it has finished. */
async function floodFromWorker(port) {
  const worker = new Worker(new URL('./flood-sender.mjs', import.meta.url), { workerData: { port, durationMs: DURATION_MS } });
  // Listen for 'exit' before awaiting the message: a worker that exits while
  // this thread is busy has its last message drained and 'exit' emitted in
  // the same callback, before an await could attach a listener.
  const exited = once(worker, 'exit');
  await once(worker, 'message');
  await exited;
}

/** Floods `port` from this thread, a batch per turn of the event loop. */
async function floodInThread(port) {
  const sender = dgram.createSocket('udp4');
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  const deadline = performance.now() + DURATION_MS;
  while (performance.now() < deadline) {
    for (let i = 1; i < BATCH; i++) sender.send(PAYLOAD, port, '127.0.0.1');
    await new Promise((resolve) => sender.send(PAYLOAD, port, '127.0.0.1', resolve));
    await nextTurn();
  }
  sender.close();
}

function ours(flood) {
  return async () => {
    const receiver = new UDPEndpoint();
    await receiver.bind({ host: '127.0.0.1', port: 0 });
    let received = 0;
    const counting = (async () => {
      for await (const _ of receiver) received++;
    })();
    await flood(receiver.sockname.port);
    await nextTurn();
    receiver.close();
    await counting;
    return received;
  };
}

function baseline(flood) {
  return async () => {
    const receiver = dgram.createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    let received = 0;
    receiver.on('message', () => received++);
    await flood(receiver.address().port);
    await nextTurn();
    receiver.close();
    return received;
  };
}

export async function run() {
  const unit = 'datagrams received';
  return [
    await compare({ name: 'flood from a sender thread vs raw dgram', unit, target: 0.9, ours: ours(floodFromWorker), baseline: baseline(floodFromWorker) }),
    await compare({ name: 'flood from the same thread vs raw dgram', unit, target: 0.9, ours: ours(floodInThread), baseline: baseline(floodInThread) }),
  ];
}
