import type { SocketAddress, StreamConnection } from '@evergreen/stream-core';
import type { TransportRegistry } from '../transports/transport-registry.js';
import type { UpstreamTls } from '../daemon/tls/upstream-tls.js';

/** What a handler is told about the connection it serves. */
export interface ConnectionContext {
  /** The connection's id in listings and logs (`echo-17`). */
  readonly id: string;
  /** The server's name. */
  readonly server: string;
  /** The peer's address (`127.0.0.1`), or `local` for a pipe. */
  readonly source: string;
  /**
   * Aborted when the daemon wants the connection to end: its server starts
   * draining (removed, replaced or dropped by a reload, the daemon shutting
   * down) or the daemon closes it (idle timeout, `conns kill`). Pass it to
   * every read that waits on the peer (`conn.readUntil('\n', { signal })`):
   * the read then rejects with `signal.reason` (an `AbortError`) and the
   * handler ends at once instead of holding the drain for its whole
   * `drainMs`. A handler that ends by letting that rejection through is not
   * counted or logged as failed. A pause that unbinds drains nothing: the
   * signal stays as it is.
   */
  readonly signal: AbortSignal;
}

/**
 * Serves one accepted connection; the connection is flushed and closed when
 * the promise settles. A rejection is logged with the connection's id and
 * costs only that connection.
 */
export type StreamHandler = (conn: StreamConnection, context: ConnectionContext) => Promise<void>;

/** One client of a datagram server (a source address and port), as the host tracks it. */
export interface DatagramSession {
  readonly context: ConnectionContext;
  /** The client's address: where replies go. */
  readonly peer: SocketAddress;
  /** Sends `data` to the client from the server's socket (counted as bytes out). */
  reply(data: Uint8Array): Promise<void>;
  /** Tells the host the session did something (keeps it from idling out). */
  touch(): void;
  /**
   * Ends the session now because the handler cannot serve it: the host logs
   * `error` with the session's id, counts it as a handler error, and calls
   * `sessionClosed`. Ending a session that already ended does nothing. Never throws.
   */
  end(error: unknown): void;
  /**
   * Tells the host the handler dropped a datagram from `from`, which may not
   * send into this session (a forward's upstream socket hears only its
   * target). Logged at warn, at most 10 lines a second per server (then a
   * count of the lines left out). Never throws.
   */
  dropStray(from: SocketAddress): void;
}

/**
 * Serves a datagram server's clients. The host tracks sessions (one per
 * client address, closed after the server's idle timeout, at most
 * `maxConnections`) and calls `datagram` for each datagram a session sends.
 */
export interface DatagramHandler {
  datagram(data: Buffer, session: DatagramSession): void | Promise<void>;
  /** The session is over (idle, closed, server stopping): release what it holds. */
  sessionClosed(session: DatagramSession): void;
}

/** What building a handler may use. */
export interface HandlerEnvironment {
  readonly transports: TransportRegistry;
  /** The directory a module handler's relative path is resolved against (the config file's). */
  readonly baseDir: string;
  /** The server's per-connection buffer limits, for the connections a handler makes itself. */
  readonly streamLimits: { highWaterMark?: number; maxBufferSize?: number };
  /** Told of a forward's `tls://` upstream credentials, so a credential reload reaches them. */
  readonly onUpstreamTls?: (credentials: UpstreamTls) => void;
}
