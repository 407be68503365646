import type { Server, Socket } from 'node:net';
import { StreamErrorFactory, toSocketAddress, type SocketAddress } from '@evergreen/stream-core';
import { TCPError } from './tcp-error.js';

const errors = StreamErrorFactory.for(TCPError);

/** Which end of a connection: `'local'` is `sockname`, `'remote'` is `peername`. */
export type SocketSide = 'local' | 'remote';

/**
 * `sockname` / `peername` of a stream's socket, shared by `TCPClient` and
 * `TCPConnection`. Throws a `TCPError` that is a `StreamClosedError` once the
 * socket is destroyed (closed, reset, or both directions ended), and a
 * `TCPError` `ENOTCONN` before it is connected. Cost: one `getsockname` /
 * `getpeername` call the first time (Node caches the answer).
 */
export function socketName(socket: Socket | undefined, side: SocketSide): SocketAddress {
  const action = side === 'local' ? 'Cannot read the socket address' : 'Cannot read the peer address';
  if (socket?.destroyed) throw errors.closed(action);
  const info = socket === undefined ? {} : side === 'local' ? socket.address() : { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily };
  if (!('port' in info) || info.port === undefined) {
    throw errors.withCode(action, 'ENOTCONN', 'the socket is not connected');
  }
  return toSocketAddress(info);
}

/**
 * The address a server listens on. Throws a `TCPError` `EINVAL` when it is
 * not bound, and one that is a `StreamClosedError` once it is closed.
 */
export function listenerName(listener: Server | undefined): SocketAddress {
  const action = 'Cannot read the server address';
  if (listener === undefined) throw errors.withCode(action, 'EINVAL', 'the server is not bound');
  const info = listener.address();
  if (info === null || typeof info === 'string') throw errors.closed(action);
  return toSocketAddress(info);
}
