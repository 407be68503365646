import { DuplexStream } from './duplex-stream.js';
import type { StreamServer } from './stream-server.js';

/**
 * A stream accepted by a `StreamServer`. It is a full `BaseStream`; `server`
 * is the server that accepted it, `null` once the connection or the server
 * is closed.
 */
export class StreamConnection extends DuplexStream {
  #server: StreamServer<StreamConnection> | null = null;

  /** The server that accepted this connection, or `null` once closed. */
  get server(): StreamServer<StreamConnection> | null {
    return this.closed ? null : this.#server;
  }

  /** Internal: registers the connection with the server that accepted it (`null` detaches). */
  _setAccepted(server: StreamServer<StreamConnection> | null): void {
    this.#server = server;
  }

  /** Tells the server its connection's handle is gone. */
  protected override _handleClosed(): void {
    const server = this.#server;
    this.#server = null;
    server?._release(this);
  }
}
