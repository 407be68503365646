import { DuplexStream } from './duplex-stream.js';
import type { StreamServer } from './stream-server.js';

/**
 * A stream accepted by a `StreamServer`. It is a full `BaseStream`; `server`
 * is the server that accepted it, `null` once the connection or the server
 * is closed.
 */
export class StreamConnection extends DuplexStream {
  /** Kept once the handle is gone: the server still settles the handler's promise for this connection. */
  #server: StreamServer<StreamConnection> | null = null;

  /** The server that accepted this connection, or `null` once closed (or its handle is gone). */
  get server(): StreamServer<StreamConnection> | null {
    return this.closed || this._duplex?.destroyed === true ? null : this.#server;
  }

  /** Internal: the server that accepted this connection, also once it is closed (`null` if none did). */
  get _acceptor(): StreamServer<StreamConnection> | null {
    return this.#server;
  }

  /** Internal: registers the connection with the server that accepted it (`null` detaches). */
  _setAccepted(server: StreamServer<StreamConnection> | null): void {
    this.#server = server;
  }

  /** Tells the server its connection's handle is gone. */
  protected override _handleClosed(): void {
    this.#server?._release(this);
  }
}
