import { isIP, type Server, type Socket } from 'node:net';
import type { StreamErrorFactory } from './errors.js';
import { toHostPort, toSocketAddress, type AddressInput, type SocketAddress } from './socket-address.js';

/** Which end of a connection: `'local'` is `sockname`, `'remote'` is `peername`. */
export type SocketSide = 'local' | 'remote';

/**
 * `sockname` / `peername` of a stream's IP socket (TCP, TLS), shared by the
 * clients and connections of those transports. Throws an error of `errors`'
 * class (the stream's `_errors`) that is a `StreamClosedError` once the
 * socket is destroyed (closed, reset, or both directions ended), and one
 * with code `ENOTCONN` before it is connected. Cost: one `getsockname` /
 * `getpeername` call the first time (Node caches the answer).
 */
export function socketName(socket: Socket | undefined, side: SocketSide, errors: StreamErrorFactory): SocketAddress {
  const action = side === 'local' ? 'Cannot read the socket address' : 'Cannot read the peer address';
  if (socket?.destroyed) throw errors.closed(action);
  const info = socket === undefined ? {} : side === 'local' ? socket.address() : { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily };
  if (!('port' in info) || info.port === undefined) {
    throw errors.withCode(action, 'ENOTCONN', 'the socket is not connected');
  }
  return toSocketAddress(info);
}

/**
 * The address an IP server listens on. Throws an error of `errors`' class
 * with code `EINVAL` when it is not bound, and one that is a
 * `StreamClosedError` once it is closed.
 */
export function listenerName(listener: Server | undefined, errors: StreamErrorFactory): SocketAddress {
  const action = 'Cannot read the server address';
  if (listener === undefined) throw errors.withCode(action, 'EINVAL', 'the server is not bound');
  const info = listener.address();
  if (info === null || typeof info === 'string') throw errors.closed(action);
  return toSocketAddress(info);
}

/**
 * Node's `localAddress`/`localPort` connect options for a client's source
 * address (TCP, TLS), which must be an IP literal (port 0: any). Throws
 * `TypeError` for a name or a malformed address, `RangeError` for a port
 * out of range.
 */
export function localSide(sourceAddress: AddressInput): { localAddress: string; localPort: number } {
  const { host, port } = toHostPort(sourceAddress);
  if (isIP(host) === 0) throw new TypeError(`Cannot bind the local side to "${host}": expected an IP address`);
  return { localAddress: host, localPort: port };
}
