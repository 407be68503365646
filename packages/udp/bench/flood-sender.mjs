// The flood's sender, a process of its own (as a peer flooding us would be):
// raw node:dgram, the same for every receiver. Usage:
//   node flood-sender.mjs <port> <durationMs>
// It sends 64-byte datagrams to 127.0.0.1:<port> for <durationMs>: 64 per
// turn of the event loop, never more than 256 whose send callback has not
// come back (so libuv's send queue stays bounded), then prints one JSON line
// `{ "sent": n, "seconds": s }` — s is the time it spent sending — and exits.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

const PER_TURN = 64;
const MAX_IN_FLIGHT = 256;
const PAYLOAD = Buffer.alloc(64, 'f');
const port = Number(process.argv[2]);
const durationMs = Number(process.argv[3]);
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !(durationMs > 0)) {
  console.error('usage: node flood-sender.mjs <port> <durationMs>');
  process.exit(2);
}

const socket = dgram.createSocket('udp4');
let sent = 0;
let inFlight = 0;
let start = 0;
let deadline = 0;

const onSent = () => {
  inFlight--;
};

function turn() {
  const now = performance.now();
  if (now >= deadline) {
    // Every send handed to the OS: nothing left to count.
    if (inFlight > 0) return setImmediate(turn);
    console.log(JSON.stringify({ sent, seconds: (now - start) / 1000 }));
    socket.close();
    return;
  }
  for (let i = 0; i < PER_TURN && inFlight < MAX_IN_FLIGHT; i++) {
    inFlight++;
    sent++;
    socket.send(PAYLOAD, port, '127.0.0.1', onSent);
  }
  setImmediate(turn);
}

socket.bind(0, '127.0.0.1', () => {
  start = performance.now();
  deadline = start + durationMs;
  turn();
});
