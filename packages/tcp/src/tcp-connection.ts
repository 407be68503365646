import type { Socket } from 'node:net';
import { StreamConnection, type BaseStreamOptions, type SocketAddress } from '@evergreen/stream-core';
import { TCPError } from './tcp-error.js';
import { applySocketOptions, toNetSocketOptions, type TCPSocketOptions } from './socket-options.js';
import { socketName } from './socket-name.js';
import type { TCPServer } from './tcp-server.js';

/** Limits and socket options of an accepted connection (a `TCPServer` passes its own). */
export interface TCPConnectionOptions extends Omit<BaseStreamOptions, 'errorClass'>, TCPSocketOptions {}

/**
 * A TCP connection accepted by a `TCPServer`: a full `BaseStream` over the
 * accepted `net.Socket`, whose errors are `TCPError`s.
 *
 * Errors: the constructor throws `TypeError`/`RangeError` for invalid
 * options. Cost: the socket options are two `setsockopt` calls at most.
 */
export class TCPConnection extends StreamConnection {
  readonly #socket: Socket;

  constructor(socket: Socket, options: TCPConnectionOptions = {}) {
    const socketOptions = toNetSocketOptions(options);
    super(socket, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, errorClass: TCPError });
    this.#socket = socket;
    applySocketOptions(socket, socketOptions);
  }

  /** The server that accepted this connection, or `null` once closed. */
  override get server(): TCPServer | null {
    return super.server as TCPServer | null;
  }

  /** The local address (`{ address, port, family }`); throws a `TCPError` once closed. */
  get sockname(): SocketAddress {
    return socketName(this.#socket, 'local');
  }

  /** The peer's address (`{ address, port, family }`); throws a `TCPError` once closed. */
  get peername(): SocketAddress {
    return socketName(this.#socket, 'remote');
  }
}
