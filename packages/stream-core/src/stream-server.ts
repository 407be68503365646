import { createServer, Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { within } from './within.js';
import { StreamClosedError, StreamErrorFactory, type StreamErrorClass } from './errors.js';
import { DEFAULT_COALESCE_BYTES, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_BUFFER_SIZE, DEFAULT_READ_BUDGET, type BaseStreamOptions } from './base-stream.js';
import { byteCountLimit, positiveLimit, timerDelay } from './limit-option.js';
import type { StreamConnection } from './stream-connection.js';
import { toSocketAddress, type SocketAddress } from './socket-address.js';

/** How long a finished handler's connection may take to flush before it is closed (10 s). */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** Called with each accepted connection. */
export type ConnectionHandler<C> = (conn: C) => unknown;

/** Options of a server and of the connections it accepts. */
export interface StreamServerOptions<C> extends Pick<BaseStreamOptions, 'highWaterMark' | 'maxBufferSize' | 'coalesceBytes' | 'readBudget'> {
  /**
   * Told when a handler throws or rejects (that connection alone is closed).
   * Default: `console.error`.
   */
  onError?: (error: unknown, conn: C) => void;
  /**
   * How long the bytes a finished handler wrote may take to reach the OS
   * before the connection is closed anyway (default 10 s): a peer that never
   * reads cannot hold a connection open.
   */
  closeTimeoutMs?: number;
  /**
   * Decides at accept, before the transport's handshake (TLS) costs any CPU,
   * whether to take a connection: `false` destroys the socket at once, and
   * nothing else hears of it. Given the peer's address, or `null` when the
   * transport has none (pipes) or the peer is already gone. A daemon checks
   * its ACLs and limits here, counting `connections.size +
   * pendingConnections`. Default: every connection is taken. A throw counts
   * as `false` and is reported as a process warning.
   */
  admit?: (remote: SocketAddress | null) => boolean;
}

/** `bind` options. */
export interface BindOptions {
  /** Length of the kernel's queue of connections not yet accepted (Node's default, 511). */
  backlog?: number;
}

/** `close` options. */
export interface ServerCloseOptions {
  /** How long active connections may go on finishing before they are closed, 0..2^31-1 ms (default 0). */
  drainMs?: number;
}

/**
 * A listening socket that hands each connection to `handleConnection` — a
 * subclass override, or the `handler` given to the constructor.
 *
 * A handler that returns a promise owns its connection until the promise
 * settles; the connection is then flushed (at most `closeTimeoutMs`) and
 * closed. A throw or rejection is reported to `onError` and closes only that
 * connection. A handler that returns anything else keeps the connection open
 * until it closes it.
 *
 * Transports implement `_listen` (claim the address on a `net.Server`) and
 * `_createConnection` (wrap an accepted socket).
 */
export abstract class StreamServer<C extends StreamConnection = StreamConnection, A = unknown> {
  readonly #handler: ConnectionHandler<C> | undefined;
  readonly #onError: (error: unknown, conn: C) => void;
  readonly #admit: ((remote: SocketAddress | null) => boolean) | undefined;
  /** Sockets in the transport's `_handshake`, each with what aborts it. */
  readonly #pending = new Map<Socket, AbortController>();
  readonly #closeTimeoutMs: number;
  readonly #connections = new Set<C>();
  #listener: Server | undefined;
  /** The listener is the caller's (`attach`): closing this server leaves it listening. */
  #attached = false;
  /** A bind is claiming the address (a second one must fail, not orphan a listener). */
  #binding = false;
  #waiting: C[] = [];
  #serving = false;
  #closing: Promise<void> | undefined;
  #served: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Resolves the drain wait of `close()` when the last connection closes. */
  #onIdle: (() => void) | undefined;

  /** Options every accepted connection is built with. */
  protected readonly _connectionOptions: Pick<BaseStreamOptions, 'highWaterMark' | 'maxBufferSize' | 'coalesceBytes' | 'readBudget'>;
  /** Builds this server's errors (bind failures) as its transport's class. */
  protected readonly _errors: StreamErrorFactory;

  /**
   * Throws `TypeError` for a `handler` or `onError` that is not a function
   * and for option values that are not numbers, `RangeError` for numbers out
   * of range (`highWaterMark`/`maxBufferSize`/`readBudget` positive integers,
   * `coalesceBytes` a non-negative integer, `closeTimeoutMs` 0..2^31-1): checked here, not at the first connection.
   */
  constructor(handler?: ConnectionHandler<C>, options: StreamServerOptions<C> = {}, errorClass?: StreamErrorClass) {
    if (handler !== undefined && typeof handler !== 'function') throw new TypeError('Cannot create the server: the handler must be a function');
    if (options.onError !== undefined && typeof options.onError !== 'function') throw new TypeError('Cannot create the server: onError must be a function');
    if (options.admit !== undefined && typeof options.admit !== 'function') throw new TypeError('Cannot create the server: admit must be a function');
    positiveLimit(options.highWaterMark, DEFAULT_HIGH_WATER_MARK, 'highWaterMark');
    positiveLimit(options.maxBufferSize, DEFAULT_MAX_BUFFER_SIZE, 'maxBufferSize');
    byteCountLimit(options.coalesceBytes, DEFAULT_COALESCE_BYTES, 'coalesceBytes');
    positiveLimit(options.readBudget, DEFAULT_READ_BUDGET, 'readBudget');
    this.#handler = handler;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#admit = options.admit;
    this.#closeTimeoutMs = timerDelay(options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS, 'closeTimeoutMs');
    this._connectionOptions = { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, coalesceBytes: options.coalesceBytes, readBudget: options.readBudget };
    this._errors = StreamErrorFactory.for(errorClass);
  }

  /**
   * The active connections (accepted, through the transport's handshake, and
   * not yet closed). A socket still in its handshake is not here: it is no
   * connection yet (no handler has it); see `pendingConnections`.
   */
  get connections(): ReadonlySet<C> {
    return this.#connections;
  }

  /**
   * How many accepted sockets are still in the transport's handshake (0 for
   * a transport without one): they hold a socket and cost CPU, so a limit on
   * connections counts them too (`connections.size + pendingConnections`).
   * `close()` ends them at once, whatever its `drainMs`.
   */
  get pendingConnections(): number {
    return this.#pending.size;
  }

  /** The listening `net.Server`, once bound. */
  protected get _listener(): Server | undefined {
    return this.#listener;
  }

  /**
   * Claims `address` and starts listening (Node binds and listens in one
   * step): connections that arrive before `serve()` wait for it. Rejects with
   * the transport's error class (`code` `EADDRINUSE`, …) when the address
   * cannot be had; throws `StreamClosedError` once closed.
   */
  async bind(address: A, options: BindOptions = {}): Promise<void> {
    if (this.#closing !== undefined) throw this._errors.closed('Cannot bind', undefined, 'the server');
    if (this.#listener !== undefined || this.#binding) throw this._errors.withCode('Cannot bind', 'EINVAL', 'the server is already bound');
    const listener = createServer({ allowHalfOpen: true });
    // Taken from the first: in a cluster worker the primary may hand over a
    // connection in the same read as its answer to the listen, so 'connection'
    // can come before 'listening'; a socket no one listens for is lost.
    listener.on('connection', this.#onConnection);
    this.#binding = true;
    try {
      await this._listen(listener, address, options);
    } catch (error) {
      this.#binding = false;
      listener.close();
      // A malformed address is the caller's mistake, not the transport's.
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      throw this._errors.system(`Cannot bind ${this._describe(address)}`, error);
    }
    this.#binding = false;
    if (this.#closing !== undefined) {
      // close() ran while the address was being claimed.
      listener.close();
      throw this._errors.closed('Cannot bind', undefined, 'the server');
    }
    this.#take(listener);
  }

  /**
   * Serves the connections of `listener`, a listening `net.Server` the caller
   * owns — typically one adopted from a descriptor systemd passed in
   * (`listener.listen({ fd })`), which could never be had again once closed.
   * The server binds nothing; `close()` stops taking the listener's
   * connections and leaves it listening, for the caller to close or to hand
   * to another server. While no server is attached, the owner must deal with
   * the connections it accepts.
   *
   * Throws `TypeError` when `listener` is not a listening `net.Server`, and
   * like `bind` when this server is bound or closed. Cost: two event listeners.
   */
  attach(listener: Server): void {
    if (!(listener instanceof Server) || !listener.listening) throw new TypeError('Cannot attach the server: expected a listening net.Server');
    if (this.#closing !== undefined) throw this._errors.closed('Cannot attach', undefined, 'the server');
    if (this.#listener !== undefined || this.#binding) throw this._errors.withCode('Cannot attach', 'EINVAL', 'the server is already bound');
    this.#attached = true;
    listener.on('connection', this.#onConnection);
    this.#take(listener);
  }

  #take(listener: Server): void {
    this.#listener = listener;
    // Accept errors (EMFILE, …) are per connection attempt: the server goes on.
    listener.on('error', ignoreError);
  }

  readonly #onConnection = (socket: Socket): void => this.#accept(socket);

  /**
   * Hands each accepted connection to `handleConnection` (the ones that
   * waited since `bind` first); resolves when the server is closed.
   * Rejects with `TypeError` when there is no handler and no override.
   */
  serve(): Promise<void> {
    if (this.#handler === undefined && this.handleConnection === StreamServer.prototype.handleConnection) {
      return Promise.reject(new TypeError('Cannot serve: pass a handler to the constructor or override handleConnection'));
    }
    this.#served ??= withResolvers();
    if (this.#closing !== undefined) return this.#closing;
    this.#serving = true;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const conn of waiting) this.#dispatch(conn);
    return this.#served.promise;
  }

  /** Override to handle a connection; by default calls the constructor's handler. */
  handleConnection(conn: C): unknown {
    return this.#handler?.(conn);
  }

  /**
   * Stops accepting, lets active connections finish for up to `drainMs`, then
   * closes the rest (their pending reads reject with `StreamClosedError`).
   * Resolves when every connection and the listener are closed. Idempotent.
   * Rejects, and closes nothing, with `TypeError` for options that are not an
   * object or a `drainMs` that is not a number, `RangeError` for a `drainMs`
   * outside 0..2^31-1 (what a timer can wait).
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    let drainMs: number;
    try {
      drainMs = drainMsOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this._beforeClose();
    this.#closing ??= this.#shutdown(drainMs);
    return this.#closing;
  }

  /**
   * Transports: runs on every `close()` with valid options, before the
   * listener stops (a pipe server unlinks its socket file here, as libuv
   * does). Must be idempotent.
   */
  protected _beforeClose(): void {}

  async #shutdown(drainMs: number): Promise<void> {
    const listenerClosed = this.#releaseListener();
    // No handler has these yet, so there is nothing to drain: a handshake
    // that finished now would only hand a new connection to a closing server.
    for (const [socket, handshake] of this.#pending) {
      handshake.abort();
      socket.destroy();
    }
    if (drainMs > 0) await within(this.#idle(), drainMs);
    for (const conn of this.#connections) conn.close();
    await this.#idle();
    await listenerClosed;
    this.#served?.resolve();
  }

  /** Stops listening — or, for an attached listener, stops taking its connections and leaves it to its owner. */
  #releaseListener(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return Promise.resolve();
    if (!this.#attached) return new Promise<void>((resolve) => listener.close(() => resolve()));
    listener.off('connection', this.#onConnection);
    listener.off('error', ignoreError);
    return Promise.resolve();
  }

  /** Resolves once no connection and no handshake is left (their handles closed). */
  #idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => (this.#onIdle = resolve));
  }

  #isIdle(): boolean {
    return this.#connections.size === 0 && this.#pending.size === 0;
  }

  #accept(socket: Socket): void {
    if (this.#admit !== undefined && !this.#admits(socket)) {
      socket.destroy();
      return;
    }
    if (this._handshake === undefined) this.#register(socket);
    else this.#startHandshake(socket, this._handshake);
  }

  #admits(socket: Socket): boolean {
    const { remoteAddress: address, remotePort: port, remoteFamily: family } = socket;
    const remote = address === undefined || port === undefined ? null : toSocketAddress({ address, port, family });
    try {
      return this.#admit!(remote) === true;
    } catch (error) {
      // There is no connection to give onError, and a throw here would end the process.
      process.emitWarning(`admit threw, so the connection was refused: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /**
   * Runs the transport's handshake on an accepted socket; the socket it
   * resolves becomes a connection, a failure destroys the socket (the
   * transport reports its own failures: it knows what they mean).
   */
  #startHandshake(socket: Socket, handshake: (socket: Socket, signal: AbortSignal) => Promise<Socket>): void {
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    const abort = new AbortController();
    this.#pending.set(socket, abort);
    const settled = (ready: Socket | undefined): void => {
      // A socket that closed while its handshake settled is no connection.
      if (ready !== undefined && !ready.destroyed) this.#register(ready);
      else socket.destroy();
      this.#pending.delete(socket);
      if (this.#isIdle()) this.#onIdle?.();
    };
    let step: Promise<Socket>;
    try {
      step = handshake.call(this, socket, abort.signal);
    } catch {
      step = Promise.reject();
    }
    step.then(settled, () => settled(undefined));
  }

  #register(socket: Socket): void {
    const conn = this._createConnection(socket);
    conn._setAccepted(this as unknown as StreamServer<StreamConnection>);
    this.#connections.add(conn);
    if (this.#closing !== undefined) conn.close();
    else if (this.#serving) this.#dispatch(conn);
    else this.#waiting.push(conn);
  }

  /** Internal: called by a connection once its handle is closed. */
  _release(conn: StreamConnection): void {
    this.#connections.delete(conn as C);
    if (this.#isIdle()) this.#onIdle?.();
  }

  #dispatch(conn: C): void {
    let result: unknown;
    try {
      result = this.handleConnection(conn);
    } catch (error) {
      this.#failed(error, conn);
      return;
    }
    // Bound to the connection rather than closures over it and the server:
    // an idle connection holds this reaction as long as its handler runs.
    if (isPromiseLike(result)) result.then(StreamServer.#handlerFinished.bind(conn), StreamServer.#handlerFailed.bind(conn));
  }

  /** The handler's promise of the connection `this` fulfilled. */
  static #handlerFinished(this: StreamConnection): void {
    // Only accepted connections are dispatched: the acceptor is set.
    void (this._acceptor as StreamServer).#finish(this);
  }

  /** The handler's promise of the connection `this` rejected with `error`. */
  static #handlerFailed(this: StreamConnection, error: unknown): void {
    (this._acceptor as StreamServer).#failed(error, this);
  }

  async #finish(conn: C): Promise<void> {
    if (!conn.closed) {
      await within(conn.flush(), this.#closeTimeoutMs);
    }
    conn.close();
  }

  #failed(error: unknown, conn: C): void {
    conn.close();
    // A read the server's own close() cut short is not the handler's fault.
    if (this.#closing !== undefined && error instanceof StreamClosedError) return;
    this.#onError(error, conn);
  }

  /** Transports: claims `address` on `listener` (listen on it), rejecting with the OS error. */
  protected abstract _listen(listener: Server, address: A, options: BindOptions): Promise<void>;

  /** Transports: wraps an accepted socket (the one `_handshake` resolved, if any) in the transport's connection class. */
  protected abstract _createConnection(socket: Socket): C;

  /**
   * Transports with an opening exchange (TLS): the asynchronous step each
   * accepted socket goes through before it becomes a connection. It resolves
   * the socket to build the connection on (a `tls.TLSSocket` over the
   * accepted one), or rejects to refuse it: the server then destroys the
   * socket and neither `onError` nor the handler hears of it — the
   * transport reports its own failures. `signal` aborts when the server
   * closes (the server destroys the socket too); the step must then settle
   * soon, and report nothing. Undefined (the default): accepted sockets are
   * connections at once. Sockets in this step count in `pendingConnections`.
   */
  protected _handshake?(socket: Socket, signal: AbortSignal): Promise<Socket>;

  /** How `address` reads in error messages. */
  protected _describe(address: A): string {
    return typeof address === 'string' ? `"${address}"` : JSON.stringify(address);
  }
}

/**
 * Listens `listener` with Node's options; resolves once listening, rejects with
 * the OS error (`EADDRINUSE`, `EACCES`, …).
 */
export async function listenOn(listener: Server, options: Parameters<Server['listen']>[0]): Promise<void> {
  const failed = once(listener, 'error').then(([error]) => Promise.reject(error));
  listener.listen(options);
  await Promise.race([once(listener, 'listening'), failed]);
  failed.catch(() => {});
}

/** `drainMs` of `close()`'s options, checked (see `close`). */
function drainMsOf(options: ServerCloseOptions): number {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Cannot close the server with options ${String(options)}: expected an object such as { drainMs: 1000 }`);
  }
  return timerDelay(options.drainMs, 0, 'drainMs');
}

function ignoreError(): void {}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function withResolvers(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
