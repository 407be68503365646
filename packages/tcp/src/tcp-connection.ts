import type { Socket } from 'node:net';
import { socketName, StreamConnection, type BaseStreamOptions, type SocketAddress } from '@evergreen/stream-core';
import { TCPError } from './tcp-error.js';
import { applySocketOptions, toNetSocketOptions, type TCPSocketOptions } from './socket-options.js';
import type { TCPServer } from './tcp-server.js';

/** Limits and socket options of an accepted connection (a `TCPServer` passes its own). */
export interface TCPConnectionOptions extends Omit<BaseStreamOptions, 'errorClass'>, TCPSocketOptions {
  /**
   * Read through shared memory (Node's `onread`), as a `TCPClient` does
   * (default true; see `DuplexStreamOptions.readIntoMemory`); false keeps
   * the socket as accepted, reading into a new Buffer per read.
   */
  readIntoMemory?: boolean;
}

/**
 * A TCP connection accepted by a `TCPServer`: a full `BaseStream` over the
 * accepted `net.Socket`, whose errors are `TCPError`s.
 *
 * Errors: the constructor throws `TypeError`/`RangeError` for invalid
 * options. Cost: the socket options are two `setsockopt` calls at most;
 * reads go through shared memory (no Buffer allocated per read).
 */
export class TCPConnection extends StreamConnection {
  constructor(socket: Socket, options: TCPConnectionOptions = {}) {
    const socketOptions = toNetSocketOptions(options);
    const { highWaterMark, maxBufferSize, coalesceBytes, readBudget, readIntoMemory = true } = options;
    super(socket, { highWaterMark, maxBufferSize, coalesceBytes, readBudget, errorClass: TCPError, readIntoMemory, resettable: true });
    applySocketOptions(this.#socket, socketOptions);
  }

  /** The accepted socket. */
  get #socket(): Socket {
    return this._duplex as Socket;
  }

  /** The server that accepted this connection, or `null` once closed. */
  override get server(): TCPServer | null {
    return super.server as TCPServer | null;
  }

  /** The local address (`{ address, port, family }`); throws a `TCPError` once closed. */
  get sockname(): SocketAddress {
    return socketName(this.#socket, 'local', this._errors);
  }

  /** The peer's address (`{ address, port, family }`); throws a `TCPError` once closed. */
  get peername(): SocketAddress {
    return socketName(this.#socket, 'remote', this._errors);
  }
}
