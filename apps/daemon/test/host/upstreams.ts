import { createServer, type AddressInfo, type Socket } from 'node:net';
import { listenForTest } from './harness.js';
import { exchangePayloads, type Transfer } from './payload.js';

/** A plain `node:net` server the daemon forwards to, closed (its sockets destroyed) after the test. */
export interface StreamUpstream {
  /** Its address as a daemon target URI. */
  uri: string;
  /** Every connection it accepted, in order. */
  sockets: Socket[];
}

/**
 * A `node:net` server on `listen` (127.0.0.1 port 0, or a unix socket path)
 * that hands each connection to `serve`; half-open allowed, so the peer's
 * FIN does not end its write side.
 */
export async function streamUpstream(listen: { path: string } | { host: string; port: 0 }, serve: (socket: Socket) => void): Promise<StreamUpstream> {
  const sockets: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    serve(socket);
  });
  await listenForTest(server, sockets, listen);
  const uri = 'path' in listen ? `pipe://${listen.path}` : `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { uri, sockets };
}

/** An upstream that exchanges a fresh payload of `size` bytes with each connection; `transfers` fills as they finish. */
export async function payloadUpstream(listen: { path: string } | { host: string; port: 0 }, size: number): Promise<StreamUpstream & { transfers: Transfer[]; failures: unknown[] }> {
  const transfers: Transfer[] = [];
  const failures: unknown[] = [];
  const upstream = await streamUpstream(listen, (socket) => {
    exchangePayloads(socket, size).then((transfer) => transfers.push(transfer), (error: unknown) => failures.push(error));
  });
  return { ...upstream, transfers, failures };
}

/**
 * Pairs each client's transfer with the upstream's that received what the
 * client sent (every payload is distinct), and lists what does not match:
 * a client whose bytes reached no upstream connection intact, or whose
 * received bytes are not what that connection sent. Empty when every byte
 * went where it should, both ways.
 */
export function mismatches(clients: readonly Transfer[], upstream: readonly Transfer[], size: number): string[] {
  const byReceived = new Map(upstream.map((transfer) => [transfer.received.hash, transfer]));
  const problems: string[] = [];
  clients.forEach((client, index) => {
    const peer = byReceived.get(client.sent);
    if (peer === undefined) problems.push(`client ${index}: no upstream connection received its ${size} bytes intact`);
    else if (peer.sent !== client.received.hash || client.received.bytes !== size) problems.push(`client ${index}: received ${client.received.bytes} bytes that are not what its upstream sent`);
  });
  return problems;
}
