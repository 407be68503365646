// One-way flood for 2 s: a worker thread sends 64-byte datagrams to
// 127.0.0.1 as fast as raw node:dgram can (the same sender for both); the
// main thread counts what it receives. Ours awaits `receive()` in a loop; the
// baseline counts in a 'message' listener. Unit: datagrams received — the
// kernel drops what neither reads in time, so the rate is how fast each side
// takes datagrams off the socket. It stops by itself: the sender stops at the
// deadline, and the receiver stops when the sender says so.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { UDPEndpoint } from '@evergreen/udp';
import { compare } from '../../../bench/runner.mjs';

const DURATION_MS = 2000;

/** Runs the sender against `port`; resolves when it has finished. */
async function flood(port) {
  const worker = new Worker(new URL('./flood-sender.mjs', import.meta.url), { workerData: { port, durationMs: DURATION_MS } });
  const [sent] = await once(worker, 'message');
  await once(worker, 'exit');
  return sent;
}

async function ours() {
  const receiver = new UDPEndpoint();
  await receiver.bind({ host: '127.0.0.1', port: 0 });
  let received = 0;
  const counting = (async () => {
    for await (const _ of receiver) received++;
  })();
  await flood(receiver.sockname.port);
  receiver.close();
  await counting;
  return received;
}

async function baseline() {
  const receiver = dgram.createSocket('udp4');
  receiver.bind(0, '127.0.0.1');
  await once(receiver, 'listening');
  let received = 0;
  receiver.on('message', () => received++);
  await flood(receiver.address().port);
  receiver.close();
  return received;
}

export async function run() {
  return [await compare({ name: 'one-way 64-byte flood vs raw dgram', unit: 'datagrams received', target: 0.9, ours, baseline })];
}
