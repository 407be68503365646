// The Node servers of the daemon benchmarks, each run alone in a child
// process (server-process.mjs): the sink every relay forwards to, and the
// raw `node:net` and `node:tls` baselines the daemon is compared with. Each is what a
// careful `node:net` programmer writes; each listens on 127.0.0.1, port 0,
// and disables Nagle as evergreend's TCP does.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { TCPServer, transport as tcp } from '@evergreen/tcp';
import { relayBothWays } from '../../apps/daemon/dist/handlers/relay.js';
import { connectionWork, work } from './fixtures/cpu-echo.mjs';

const LOOPBACK = '127.0.0.1';
/** Every socket gets this: a peer that resets must not crash the server. */
const ignoreError = () => {};

/**
 * The sink: counts the bytes of each connection and, at the client's FIN,
 * answers with the count as one line and ends (so the count travels back
 * through the relay, and the relay's half-close handling is exercised).
 */
export function sink() {
  return listen((socket) => {
    let bytes = 0;
    socket.on('data', (chunk) => (bytes += chunk.length));
    socket.once('end', () => socket.end(`${bytes}\n`));
  });
}

/**
 * The raw Node relay: each accepted socket is piped both ways to its own
 * `net.connect` to 127.0.0.1:`upstreamPort`; half-open on both sides, so a
 * FIN passes through and the other direction goes on. When either socket
 * fails, both are destroyed.
 */
export function rawRelay(upstreamPort) {
  return listen(relayTo(upstreamPort));
}

/**
 * The raw Node TLS terminator: `tls.createServer` with the key and
 * certificate in the PEM files `keyPath` and `certPath` (Node's defaults for
 * everything else), each socket piped both ways to 127.0.0.1:`upstreamPort`
 * as `rawRelay` does.
 */
export function rawTlsRelay(upstreamPort, keyPath, certPath) {
  const credentials = { key: readFileSync(keyPath), cert: readFileSync(certPath) };
  return listen(relayTo(upstreamPort), (options, onSocket) => tls.createServer({ ...options, ...credentials }, onSocket));
}

/**
 * The daemon's relay without the daemon: a bare `TCPServer` whose handler
 * does what evergreend's `forward` does (connect with `@evergreen/tcp`,
 * `relayBothWays`, flush, close). Beside evergreend's figures it tells the
 * cost of the relay code from the cost of the process it runs in.
 */
export async function bareRelay(upstreamPort) {
  const server = new TCPServer(async (conn) => {
    const upstream = await tcp.connect({ host: LOOPBACK, port: upstreamPort });
    try {
      await relayBothWays(conn, upstream);
    } finally {
      upstream.close();
    }
    await conn.flush().catch(() => {});
    conn.close();
  });
  await server.bind({ host: LOOPBACK, port: 0 });
  void server.serve();
  return { port: server.sockname.port, connections: () => server.connections.size };
}

/** A socket handler piping each socket both ways to its own connection to 127.0.0.1:`upstreamPort`. */
function relayTo(upstreamPort) {
  return (client) => {
    const upstream = net.connect({ host: LOOPBACK, port: upstreamPort, allowHalfOpen: true, noDelay: true });
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', destroyBoth);
    client.on('error', destroyBoth);
    client.pipe(upstream);
    upstream.pipe(client);
  };
}

/** The raw Node echo server: each socket piped to itself (its FIN answered with ours). */
export function rawEcho() {
  return listen((socket) => socket.pipe(socket));
}

/** The raw Node counterpart of the workers benchmark's handler: the same CPU work at the connection's start, and before each line is echoed. */
export function rawCpuEcho() {
  return listen((socket) => {
    connectionWork();
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('data', (text) => {
      pending += text;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        work();
        socket.write(pending.slice(0, end + 1), 'latin1');
        pending = pending.slice(end + 1);
      }
    });
    socket.on('end', () => socket.end());
  });
}

/** Starts the server called `name` with `args`; resolves `{ port, connections() }`. */
export function startServer(name, args) {
  const servers = {
    sink,
    'raw-relay': () => rawRelay(Number(args[0])),
    'raw-tls-relay': () => rawTlsRelay(Number(args[0]), args[1], args[2]),
    'bare-relay': () => bareRelay(Number(args[0])),
    'raw-echo': rawEcho,
    'raw-cpu-echo': rawCpuEcho,
  };
  const start = servers[name];
  if (start === undefined) throw new TypeError(`Cannot start the server "${name}": expected one of ${Object.keys(servers).join(', ')}`);
  return start();
}

/** Listens on 127.0.0.1 port 0 with `createServer` (`net.createServer`'s shape; a TLS server's `onSocket` gets each socket once its handshake is done). */
async function listen(onSocket, createServer = net.createServer) {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on('error', ignoreError);
    onSocket(socket);
  });
  server.listen({ host: LOOPBACK, port: 0 });
  await once(server, 'listening');
  const connections = () => new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  return { port: server.address().port, connections };
}
