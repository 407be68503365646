import type { Socket as NodeDatagramSocket } from 'node:dgram';
import type { BaseStream, BaseStreamOptions } from './base-stream.js';
import type { ConnectionHandler, StreamServer, StreamServerOptions } from './stream-server.js';
import type { StreamConnection } from './stream-connection.js';
import type { AddressInput, SocketAddress } from './socket-address.js';

/**
 * What every transport plugin has: the URI scheme it answers to and how its
 * addresses read. The daemon finds a transport by scheme (`tcp://…` →
 * `@evergreen/tcp`'s `transport`); any package exporting this shape as
 * `transport` is a transport.
 */
export interface TransportBase<A> {
  /** URI scheme without the colon: `'tcp'`, `'pipe'`, `'udp'`. */
  readonly scheme: string;
  /**
   * The address a URI names (`tcp://127.0.0.1:7000` → `{ host, port }`).
   * Throws `TypeError` naming what is wrong when the URI is not this
   * transport's or is malformed.
   */
  parse(uri: string): A;
  /** The URI of an address: `parse(format(a))` equals `a`. */
  format(address: A): string;
}

/** What `StreamTransport#connect` takes: a cancel signal and the client stream's limits. */
export interface StreamConnectOptions extends Pick<BaseStreamOptions, 'highWaterMark' | 'maxBufferSize' | 'readBudget'> {
  signal?: AbortSignal;
}

/**
 * A connection-oriented transport (TCP, pipes, TLS).
 *
 * `S` and `C` are the transport's own options for `createServer` and
 * `connect`, beyond the common ones: what a URI cannot hold (TLS
 * certificates, socket options). A caller that knows the transport gets
 * them typed (`StreamTransport<HostPort, TLSServerSecurity, …>`); a caller
 * that picks transports by scheme (the daemon) holds a `StreamTransport`
 * and passes them as it got them — each transport checks its options when
 * called (`TypeError`/`RangeError`), so a wrong shape is refused, never
 * guessed. A third-party transport declares its own the same way.
 */
export interface StreamTransport<A = unknown, S extends object = object, C extends object = object> extends TransportBase<A> {
  readonly kind: 'stream';
  /** An unbound server that hands connections to `handler`; `bind(address)` then `serve()` it. */
  createServer(handler: ConnectionHandler<StreamConnection>, options?: StreamServerOptions<StreamConnection> & S): StreamServer<StreamConnection, A>;
  /**
   * A connected client stream with the given limits; rejects with the
   * transport's error, or the signal's reason.
   */
  connect(address: A, options?: StreamConnectOptions & C): Promise<BaseStream>;
}

/** The transport-specific `createServer` options of a stream transport type (`TransportServerOptions<typeof transport>`). */
export type TransportServerOptions<T> = T extends StreamTransport<unknown, infer S, object> ? S : never;

/** The transport-specific `connect` options of a stream transport type. */
export type TransportConnectOptions<T> = T extends StreamTransport<unknown, object, infer C> ? C : never;

/** A bound datagram socket as the daemon uses it. */
export interface DatagramSocket {
  readonly closed: boolean;
  readonly sockname: SocketAddress;
  /** Sends one datagram to `to` (a `receive()` sender can be passed straight back). */
  send(data: string | Uint8Array, to: AddressInput): Promise<void>;
  receive(options?: { signal?: AbortSignal }): Promise<[Buffer, SocketAddress]>;
  close(): void;
}

/**
 * The bounds of a datagram socket's receive queue and the sizes of its kernel
 * buffers, which a daemon sets per server. Every field is optional: absent,
 * the transport's default (for the buffers: the OS's) holds.
 */
export interface DatagramBindOptions {
  /** Most datagrams that wait for a `receive()`; past that arrivals are dropped and counted. */
  maxQueuedDatagrams?: number;
  /** Most payload bytes that wait likewise. */
  maxQueuedBytes?: number;
  /**
   * The kernel's receive buffer in bytes (`SO_RCVBUF`, an integer >= 1): what
   * arrives while the process is busy waits there, and past it the kernel
   * drops. Linux doubles the value (for its bookkeeping) and caps it at
   * `net.core.rmem_max`, silently: read the socket's to see what it got.
   */
  recvBufferSize?: number;
  /** The kernel's send buffer in bytes (`SO_SNDBUF`), doubled and capped at `net.core.wmem_max` likewise. */
  sendBufferSize?: number;
  /**
   * `SO_REUSEPORT`: the socket shares its address and port with others
   * bound likewise (other processes of the same user too), the kernel giving
   * each sender to one of them. Only where the transport's `reusePort` is
   * true; elsewhere `bind` rejects (`ENOTSUP`).
   */
  reusePort?: boolean;
}

/** A datagram transport (UDP). */
export interface DatagramTransport<A = unknown> extends TransportBase<A> {
  readonly kind: 'datagram';
  /** True when `bind` takes `reusePort` on this runtime and platform; absent or false: it does not. */
  readonly reusePort?: boolean;
  /**
   * A socket bound to `address` (port 0: any free port) with the receive
   * queue bounds and buffer sizes of `options` (the defaults where absent).
   * Rejects with the transport's error when the address cannot be had or the
   * OS refuses an option, with `TypeError`/`RangeError` for an option of the
   * wrong type or out of range.
   */
  bind(address: A, options?: DatagramBindOptions): Promise<DatagramSocket>;
  /**
   * Optional: a socket over `socket`, a bound `dgram.Socket` the caller owns
   * (one systemd passed in), with `options` applied; closing it leaves
   * `socket` open. Throws like `bind` rejects, and `TypeError` when `socket`
   * is not a bound `dgram.Socket`.
   */
  attach?(socket: NodeDatagramSocket, options?: DatagramBindOptions): DatagramSocket;
}

/** The plugin interface: what a transport package exports as `transport`. */
export type Transport<A = unknown> = StreamTransport<A> | DatagramTransport<A>;
