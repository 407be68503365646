import type { Socket } from 'node:net';
import { HostPortServer, type ConnectionHandler, type StreamServerOptions } from '@evergreen/stream-core';
import { TCPError } from './tcp-error.js';
import { TCPConnection, type TCPConnectionOptions } from './tcp-connection.js';
import { toNetSocketOptions, type TCPSocketOptions } from './socket-options.js';

/**
 * Options of a server: the limits of each connection (`highWaterMark`,
 * `maxBufferSize`), the socket options applied to each accepted connection
 * (`noDelay`, `keepAlive`, `keepAliveInitialDelayMs`), `onError` and
 * `closeTimeoutMs`.
 */
export interface TCPServerOptions extends StreamServerOptions<TCPConnection>, TCPSocketOptions {}

/**
 * A TCP server: `bind()` an address, then `serve()` hands each accepted
 * connection (a `TCPConnection`) to `handleConnection` — override it in a
 * subclass or pass a handler. See `StreamServer` for the lifecycle.
 *
 * Errors: the constructor throws `TypeError`/`RangeError` for invalid
 * options; `bind` rejects `TypeError`/`RangeError` for a malformed address
 * and a `TCPError` (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, …) when the
 * address cannot be had. Cost: one listening `net.Server`; each connection
 * is one `net.Socket`.
 */
export class TCPServer extends HostPortServer<TCPConnection> {
  /** What each accepted connection is built with: the stream limits and the socket options, merged once. */
  readonly #connectionOptions: TCPConnectionOptions;

  constructor(handler?: ConnectionHandler<TCPConnection>, options: TCPServerOptions = {}) {
    // Validate now, not at the first accept.
    toNetSocketOptions(options);
    super(handler, options, TCPError);
    const { noDelay, keepAlive, keepAliveInitialDelayMs } = options;
    this.#connectionOptions = { ...this._connectionOptions, noDelay, keepAlive, keepAliveInitialDelayMs };
  }

  protected _createConnection(socket: Socket): TCPConnection {
    return new TCPConnection(socket, this.#connectionOptions);
  }
}
