import type { ConnectionContext } from '../../handlers/handler.js';
import type { ConnectionInfo } from '../../protocol/results.js';
import type { TlsConnectionInfo } from '../../protocol/tls-results.js';
import { endpointsOf, type ConnectionEndpoints, type EndpointsSource } from './connection-endpoints.js';

/** Why the daemon (not the peer) ended a connection. */
export type CloseReason = 'idle' | 'killed' | 'stopping';

/**
 * Where a record reads its byte counts: a stream itself (`DuplexStream`'s
 * counters are its socket's), or a datagram session's own.
 */
export interface ByteCounts {
  /** Bytes received from the peer. */
  readonly bytesRead: number;
  /** Bytes sent to the peer. */
  readonly bytesWritten: number;
}

/**
 * How a record ends its connection: the stream itself (one object fewer per
 * connection than a closure over it), or a datagram session's closer.
 */
export interface Closer {
  /** Ends the connection; called once per `ConnectionRecord.close`. */
  close(): void;
}

/**
 * One active connection (a stream connection, or a datagram session): its
 * id, server, source, peer and local addresses, start, bytes and last activity. Byte counts are read
 * from `counts` when asked (a socket counts for free); last activity is
 * brought up to date by the host's sweep, so keeping it costs nothing per
 * chunk. `close(reason)` ends it through `closer` and remembers that the
 * daemon did it, so the handler's resulting failure is not logged as one.
 * `drain()` (its server is stopping) and `close` abort the handler's
 * `signal`.
 */
export class ConnectionRecord implements ConnectionContext {
  readonly id: string;
  readonly server: string;
  readonly source: string;
  readonly #endpoints: EndpointsSource;
  readonly startedAt = Date.now();
  #lastActivity = this.startedAt;
  #lastTotal = 0;
  #closedBy: CloseReason | undefined;
  /** A TLS connection's peer and session, set by its host. */
  tls: TlsConnectionInfo | undefined;
  /** Made when the handler first asks for `signal`: built-in handlers never do, and an idle connection should cost little. */
  #abort: AbortController | undefined;
  /** Why the handler was told to finish, once it was (for a `signal` asked for later). */
  #stopMessage: string | undefined;
  readonly #counts: ByteCounts;
  readonly #closer: Closer;

  constructor(id: string, server: string, source: string, counts: ByteCounts, closer: Closer, endpoints: EndpointsSource = {}) {
    this.id = id;
    this.server = server;
    this.source = source;
    this.#endpoints = endpoints;
    this.#counts = counts;
    this.#closer = closer;
  }

  /** The client's `address:port` and where it was accepted (see `ConnectionEndpoints`), read now from the stream's socket. */
  get endpoints(): ConnectionEndpoints {
    return endpointsOf(this.#endpoints);
  }

  get bytesIn(): number {
    return this.#counts.bytesRead;
  }

  get bytesOut(): number {
    return this.#counts.bytesWritten;
  }

  /** The handler's signal (see {@link ConnectionContext.signal}). */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#stopMessage !== undefined) this.#abort.abort(abortError(this.#stopMessage));
    }
    return this.#abort.signal;
  }

  /** Tells the handler to finish, its server is draining: aborts `signal` (once). */
  drain(): void {
    this.#tellHandler(`Cannot go on serving connection ${this.id}: server "${this.server}" is stopping`);
  }

  /** Whether `error` is what the aborted `signal` rejected a read with: the handler ended because it was told to. */
  isAbortReason(error: unknown): boolean {
    return this.#abort?.signal.aborted === true && error === this.#abort.signal.reason;
  }

  /** Why the daemon closed it, if it did. */
  get closedBy(): CloseReason | undefined {
    return this.#closedBy;
  }

  /** Records activity now (datagram sessions call it per datagram). */
  touch(now = Date.now()): void {
    this.#lastActivity = now;
  }

  /**
   * Called by the sweep: notes activity if bytes moved since the last sweep,
   * and answers whether the record has been idle for `idleMs` or more.
   */
  sweep(now: number, idleMs: number): boolean {
    const total = this.bytesIn + this.bytesOut;
    if (total !== this.#lastTotal) {
      this.#lastTotal = total;
      this.#lastActivity = now;
    }
    return idleMs > 0 && now - this.#lastActivity >= idleMs;
  }

  /** Ends the connection, remembering that the daemon did it and why. */
  close(reason: CloseReason): void {
    this.#closedBy ??= reason;
    this.#tellHandler(`Cannot go on serving connection ${this.id}: the daemon closed it (${reason})`);
    this.#closer.close();
  }

  #tellHandler(message: string): void {
    if (this.#stopMessage !== undefined) return;
    this.#stopMessage = message;
    this.#abort?.abort(abortError(message));
  }

  info(): ConnectionInfo {
    const tls = this.tls === undefined ? {} : { tls: this.tls };
    return {
      id: this.id,
      server: this.server,
      source: this.source,
      ...this.endpoints,
      startedAt: this.startedAt,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      lastActivity: this.#lastActivity,
      ...tls,
    };
  }
}

/** The reason a handler's signal is aborted with: an `AbortError`, as `AbortController.abort()` gives, saying why. */
function abortError(message: string): DOMException {
  return new DOMException(message, 'AbortError');
}
