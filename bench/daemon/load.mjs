// The load client's operations, run in its own child process
// (load-process.mjs): plain `node:net` code, the very same against every
// contender. Every loop is bounded in count and in time.
import net from 'node:net';
import tls from 'node:tls';
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

/**
 * What every TLS connection of the load offers, and so gets: TLS 1.3 only,
 * one cipher suite, one key-exchange group. The server's certificate (an
 * ECDSA P-256 one) is the third pinned parameter.
 */
const PINNED_TLS = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' };
const PINNED_FACTS = { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', group: 'X25519' };

/** Every idle socket gets this: the relay going away first must not crash the client. */
const ignoreError = () => {};
let idle = [];

/** The Node version and OpenSSL of the load client: the TLS peer every contender is measured with. */
export function versions() {
  return { node: process.version, openssl: process.versions.openssl };
}

/**
 * Sends `bytes` to 127.0.0.1:`port` (a relay in front of the sink), ends,
 * and waits for the sink's count to come back through the relay; checks it.
 * Over TLS when `tls` (`{ ca, servername }`: what the relay's certificate is
 * verified against) is given, with the pinned parameters. Resolves
 * `{ units: MiB, seconds }`, timed from connected (the handshake done, over
 * TLS) to count received.
 */
export async function send({ port, bytes, tls: trust }) {
  const piece = Buffer.alloc(WRITE_BYTES, 'r');
  const pieces = (function* () {
    for (let sent = 0; sent < bytes; sent += WRITE_BYTES) yield piece;
  })();
  const transport = trust === undefined ? tcp : { connectRaw: (address) => connectTls(address, trust), connectedEvent: 'secureConnect' };
  const { count, seconds } = await sendCounted(transport, { host: LOOPBACK, port }, pieces);
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
export function connectionRate({ port, concurrency, durationMs }) {
  return timedLoops({ concurrency, durationMs }, async () => () => oneConnection(port));
}

/**
 * For `durationMs`, `concurrency` loops each on one connection to
 * 127.0.0.1:`port` (opened before the clock starts): send one line, wait for
 * it to come back, again. Resolves `{ units: round trips, seconds }`; a
 * round trip that fails or stalls fails the round. The connections are
 * closed at the end.
 */
export async function echoRoundTrips({ port, concurrency, durationMs }) {
  const sockets = [];
  try {
    return await timedLoops({ concurrency, durationMs }, async () => {
      const socket = net.connect({ host: LOOPBACK, port, noDelay: true });
      sockets.push(socket);
      await once(socket, 'connect');
      // An inactivity timeout: the loops keep every connection busy until the end.
      socket.setTimeout(CONNECTION_TIMEOUT_MS, () => socket.destroy(new Error(`Cannot round-trip with port ${port}: no answer in ${CONNECTION_TIMEOUT_MS} ms`)));
      return () => roundTrip(socket, port);
    });
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

/** Writes LINE on `socket` and resolves once as many bytes came back. */
function roundTrip(socket, port) {
  return new Promise((resolve, reject) => {
    let echoed = 0;
    const cleanUp = () => {
      socket.removeListener('data', onData).removeListener('error', reject).removeListener('close', onClose);
    };
    const onData = (chunk) => {
      echoed += chunk.length;
      if (echoed < LINE.length) return;
      cleanUp();
      resolve();
    };
    const onClose = () => {
      cleanUp();
      reject(new Error(`Cannot round-trip with port ${port}: the connection closed after ${echoed} bytes`));
    };
    socket.on('data', onData).once('error', reject).once('close', onClose);
    socket.write(LINE);
  });
}

/**
 * For `durationMs`, `concurrency` loops each making TLS connection after
 * connection to 127.0.0.1:`port` (a TLS relay in front of the sink), with
 * the pinned parameters, verifying the certificate against `tls` (`{ ca,
 * servername }`): handshake, end, wait for the sink's answer through the
 * relay, wait for the close. With `resume`, each loop first makes one full
 * handshake, untimed (its CPU is in the contender's counters: a few among
 * thousands), and then resumes with the latest session ticket it got; a
 * connection that does not resume fails the round, as does one that
 * negotiated anything but the pinned parameters. Resolves `{ units:
 * connections, seconds }` as `connectionRate` does.
 */
export function handshakeRate({ port, concurrency, durationMs, resume, tls: trust }) {
  return timedLoops({ concurrency, durationMs }, async () => {
    const first = resume ? await tlsExchange(port, trust, undefined) : undefined;
    if (resume && first === undefined) throw new Error(`Cannot resume TLS sessions with port ${port}: it sent no session ticket`);
    let session = first;
    return async () => {
      // A server may issue no new ticket on a resumed connection (Node's does not): the last one is used again.
      const next = await tlsExchange(port, trust, session);
      if (resume && next !== undefined) session = next;
    };
  });
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

/**
 * Runs `concurrency` loops for `durationMs` (and at most MAX_CONNECTIONS
 * steps in all). `prepare()` resolves one loop's step function, before the
 * clock starts. Resolves `{ units: steps completed, seconds }`.
 */
async function timedLoops({ concurrency, durationMs }, prepare) {
  const steps = await Promise.all(Array.from({ length: concurrency }, prepare));
  let completed = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const loop = async (step) => {
    while (performance.now() < deadline && completed < MAX_CONNECTIONS) {
      await step();
      completed++;
    }
  };
  await Promise.all(steps.map(loop));
  return { units: completed, seconds: (performance.now() - start) / 1000 };
}

/** A pinned TLS connection to `address`, verified against `trust`, resuming `session` when given. */
function connectTls(address, { ca, servername }, session) {
  const socket = tls.connect({ ...address, ...PINNED_TLS, ca, servername, session });
  socket.setNoDelay(true);
  return socket;
}

/**
 * One TLS connection through a relay to the sink: handshake (resuming
 * `session` when given, and then required to resume), end, read the sink's
 * answer ("0"), close. Resolves the latest session ticket the server sent
 * (undefined: none); rejects when the connection negotiated anything but
 * the pinned parameters, failed or stalled.
 */
function tlsExchange(port, trust, session) {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: LOOPBACK, port }, trust, session);
    let ticket;
    let answer = '';
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(CONNECTION_TIMEOUT_MS, () => fail(new Error(`Cannot complete a TLS connection to port ${port}: no progress in ${CONNECTION_TIMEOUT_MS} ms`)));
    socket.once('error', fail);
    socket.on('session', (saved) => (ticket = saved));
    socket.once('secureConnect', () => {
      const facts = { protocol: socket.getProtocol(), cipher: socket.getCipher().standardName, group: socket.getEphemeralKeyInfo().name, resumed: socket.isSessionReused() };
      const expected = { ...PINNED_FACTS, resumed: session !== undefined };
      if (JSON.stringify(facts) !== JSON.stringify(expected)) return fail(new Error(`Cannot trust the round: port ${port} negotiated ${JSON.stringify(facts)}, expected ${JSON.stringify(expected)}`));
      socket.end();
    });
    socket.setEncoding('utf8');
    socket.on('data', (text) => (answer += text));
    socket.once('close', () => {
      if (answer !== '0\n') return fail(new Error(`Cannot trust the round: the sink answered ${JSON.stringify(answer)} through port ${port}, expected "0\\n"`));
      resolve(ticket);
    });
  });
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
