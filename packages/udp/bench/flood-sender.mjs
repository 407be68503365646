// The flood's sender, in a worker thread so it has a core of its own: raw
// node:dgram, the same for ours and the baseline. It sends 64-byte datagrams
// to workerData.port for workerData.durationMs, BATCH at a time (the next
// batch when the last of the previous one was handed to the OS, so libuv's
// send queue stays bounded), then posts how many it sent.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const BATCH = 32;
const PAYLOAD = Buffer.alloc(64, 'f');
const { port, durationMs } = workerData;
const socket = dgram.createSocket('udp4');
const deadline = performance.now() + durationMs;
let sent = 0;

function sendBatch() {
  if (performance.now() >= deadline) {
    socket.close();
    parentPort.postMessage(sent);
    return;
  }
  for (let i = 1; i < BATCH; i++) socket.send(PAYLOAD, port, '127.0.0.1');
  socket.send(PAYLOAD, port, '127.0.0.1', sendBatch);
  sent += BATCH;
}

socket.bind(0, '127.0.0.1', sendBatch);
