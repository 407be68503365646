// The load client's operations, run in its own child process
// (load-process.mjs): plain `node:net` code, the very same against every
// contender. Every loop is bounded in count and in time.
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { checkCount, sendCounted } from '../transports/counted-transfer.mjs';
import { tcp } from '../transports/transports.mjs';

const LOOPBACK = '127.0.0.1';
const MiB = 1024 * 1024;
/** One write of the bulk sender: large, so the client spends its time in the kernel, not in JS. */
const WRITE_BYTES = MiB;
/** The line each connection of the connection-rate load sends and waits to see echoed. */
const LINE = Buffer.from('evergreen connection rate\n');
/** The most connections one connection-rate round makes, whatever its duration. */
const MAX_CONNECTIONS = 5_000_000;
/** How long one connection of the connection-rate load may take before the round fails. */
const CONNECTION_TIMEOUT_MS = 10_000;

/** Every idle socket gets this: the relay going away first must not crash the client. */
const ignoreError = () => {};
let idle = [];

/**
 * Sends `bytes` to 127.0.0.1:`port` (a relay in front of the sink), ends,
 * and waits for the sink's count to come back through the relay; checks it.
 * Resolves `{ units: MiB, seconds }`, timed from connected to count received.
 */
export async function send({ port, bytes }) {
  const piece = Buffer.alloc(WRITE_BYTES, 'r');
  const pieces = (function* () {
    for (let sent = 0; sent < bytes; sent += WRITE_BYTES) yield piece;
  })();
  const { count, seconds } = await sendCounted(tcp, { host: LOOPBACK, port }, pieces);
  checkCount('bytes', count, bytes);
  return { units: bytes / MiB, seconds };
}

/**
 * For `durationMs`, `concurrency` loops each making connection after
 * connection to 127.0.0.1:`port`: connect, send one line, wait for it to
 * come back, end, wait for the close. Resolves `{ units: connections,
 * seconds }`: the connections completed, timed from the first connect to
 * the last close. A connection that fails or stalls fails the round.
 */
export async function connectionRate({ port, concurrency, durationMs }) {
  let completed = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const loop = async () => {
    while (performance.now() < deadline && completed < MAX_CONNECTIONS) {
      await oneConnection(port);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { units: completed, seconds: (performance.now() - start) / 1000 };
}

/** Opens `count` connections to 127.0.0.1:`port` and keeps them, idle, until `closeIdle`. */
export async function openIdle({ port, count }) {
  const batch = Array.from({ length: count }, () => net.connect({ host: LOOPBACK, port, noDelay: true }));
  for (const socket of batch) socket.on('error', ignoreError);
  idle.push(...batch);
  await Promise.all(batch.map((socket) => once(socket, 'connect')));
}

/**
 * Opens `count` connections to 127.0.0.1:`port` (a relay in front of an echo
 * server); each sends `bytes` and waits for them all to come back, then stays
 * open and idle until `closeIdle`. Fails when a connection ends, fails or
 * makes no progress for CONNECTION_TIMEOUT_MS first.
 */
export async function openExchanged({ port, count, bytes }) {
  const payload = Buffer.alloc(bytes, 'x');
  await Promise.all(Array.from({ length: count }, () => exchangeThenIdle(port, payload)));
}

function exchangeThenIdle(port, payload) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port, noDelay: true });
    idle.push(socket);
    let received = 0;
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(CONNECTION_TIMEOUT_MS, () => fail(new Error(`Cannot exchange ${payload.length} bytes with port ${port}: no progress in ${CONNECTION_TIMEOUT_MS} ms`)));
    socket.once('error', fail);
    socket.once('end', () => fail(new Error(`Cannot exchange ${payload.length} bytes with port ${port}: the stream ended after ${received}`)));
    socket.once('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received < payload.length) return;
      socket.setTimeout(0);
      socket.removeListener('error', fail).on('error', ignoreError);
      resolve();
    });
  });
}

/** Destroys every connection `openIdle` and `openExchanged` made. */
export function closeIdle() {
  for (const socket of idle) socket.destroy();
  idle = [];
}

function oneConnection(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port, noDelay: true });
    let echoed = 0;
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(CONNECTION_TIMEOUT_MS, () => fail(new Error(`Cannot complete a connection to port ${port}: no progress in ${CONNECTION_TIMEOUT_MS} ms`)));
    socket.once('error', fail);
    socket.once('connect', () => socket.write(LINE));
    socket.on('data', (chunk) => {
      echoed += chunk.length;
      if (echoed >= LINE.length) socket.end();
    });
    socket.once('close', () => (echoed === LINE.length ? resolve() : fail(new Error(`Cannot trust the round: ${echoed} bytes came back, ${LINE.length} were sent`))));
  });
}
