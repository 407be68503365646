import type { Socket } from 'node:dgram';

/** Largest socket buffer size the kernel interfaces take (a C `int`). */
const MAX_SOCKET_BUFFER_BYTES = 2 ** 31 - 1;
/** IP TTL / hop limit is one octet; a unicast TTL of 0 would never leave the host. */
const MAX_TTL_HOPS = 255;

/**
 * Socket options of a `UDPEndpoint`. They are applied when the socket is
 * created and bound (by `bind()` or the first `send()`).
 */
export interface UDPSocketOptions {
  /** `SO_REUSEADDR`: several endpoints may bind the same address and port (default false). */
  reuseAddr?: boolean;
  /**
   * `SO_REUSEPORT`: sockets (of this process or others of the same user)
   * bound with it share one address and port, and the kernel gives each
   * sender's datagrams to one of them by the hash of the address pair —
   * a sender stays with one socket while the group keeps its members
   * (default false). Needs a Node whose dgram takes it and a platform that
   * balances it ({@link reusePortSupported}); elsewhere the bind rejects
   * with `UDPError` `ENOTSUP` rather than bind a socket that does not share.
   */
  reusePort?: boolean;
  /** An IPv6 endpoint bound to `::` does not also take IPv4 (default false: it does). */
  ipv6Only?: boolean;
  /** `SO_RCVBUF` in bytes (the kernel may double or cap it: Linux caps at `net.core.rmem_max`). */
  recvBufferSize?: number;
  /** `SO_SNDBUF` in bytes (doubled or capped by the kernel likewise). */
  sendBufferSize?: number;
  /** `SO_BROADCAST`: sends to a broadcast address are allowed (default false). */
  broadcast?: boolean;
  /** Unicast TTL / hop limit, 1..255 (default: the OS's, 64 on Linux). */
  ttl?: number;
  /** Multicast TTL / hop limit, 0..255 (default 1: the local network). */
  multicastTTL?: number;
  /** Multicast datagrams this host sends are also delivered to its own members (default true). */
  multicastLoopback?: boolean;
  /** The local interface address multicast is sent from (default: the OS's choice). */
  multicastInterface?: string;
}

/** Throws `TypeError` for an option of the wrong type and `RangeError` for one out of range. */
export function checkSocketOptions(options: UDPSocketOptions): void {
  checkInteger('recvBufferSize', options.recvBufferSize, 1, MAX_SOCKET_BUFFER_BYTES);
  checkInteger('sendBufferSize', options.sendBufferSize, 1, MAX_SOCKET_BUFFER_BYTES);
  checkInteger('ttl', options.ttl, 1, MAX_TTL_HOPS);
  checkInteger('multicastTTL', options.multicastTTL, 0, MAX_TTL_HOPS);
  if (options.multicastInterface !== undefined && typeof options.multicastInterface !== 'string') {
    throw new TypeError(`Cannot use multicastInterface ${String(options.multicastInterface)}: expected an interface address`);
  }
}

/**
 * Applies the options that need a bound socket. Throws Node's error (with
 * `errno`/`code`) when the OS refuses one.
 */
export function applySocketOptions(socket: Socket, options: UDPSocketOptions): void {
  if (options.recvBufferSize !== undefined) socket.setRecvBufferSize(options.recvBufferSize);
  if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
  if (options.broadcast !== undefined) socket.setBroadcast(options.broadcast);
  if (options.ttl !== undefined) socket.setTTL(options.ttl);
  if (options.multicastTTL !== undefined) socket.setMulticastTTL(options.multicastTTL);
  if (options.multicastLoopback !== undefined) socket.setMulticastLoopback(options.multicastLoopback);
  if (options.multicastInterface !== undefined) socket.setMulticastInterface(options.multicastInterface);
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`Cannot use ${name} ${String(value)}: expected a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Cannot use ${name} ${value}: expected an integer in ${min}..${max}`);
  }
}
