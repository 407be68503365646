import type { Duplex } from 'node:stream';
import { connect as netConnect, Socket, type NetConnectOpts, type OnReadOpts } from 'node:net';
import { BaseStream, type BaseStreamOptions, type WriteData } from './base-stream.js';

/** Options of a stream over a Node `Duplex`. */
export interface DuplexStreamOptions extends BaseStreamOptions {
  /**
   * Whether the duplex can take writes already (default true). A transport
   * that is still connecting passes false and calls `_setConnected()` later;
   * writes until then are buffered by the stream.
   */
  connected?: boolean;
  /**
   * Read a freshly accepted `net.Socket` (or a TLS socket just out of its
   * handshake, bytes already waiting in it taken first) the way sockets this
   * module connects are read: through shared memory (Node's `onread`),
   * copying each byte once to where the read wants it, instead of into a new
   * Buffer per read (see `readIntoMemory`). Default false.
   */
  readIntoMemory?: boolean;
  /**
   * The handle is (or will be) a TCP `net.Socket`, whose peer can be told of
   * an abort: `reset()` sends RST (Node's `resetAndDestroy`), and an end of
   * stream is checked for a reset behind it (see `resetBehindEnd`). Default
   * false: any other duplex, a Unix socket, a pipe.
   */
  resettable?: boolean;
}

const EMPTY = Buffer.alloc(0);

/** Most bytes one read from the OS takes: what libuv reads at once by default. */
const MAX_READ = 64 * 1024;

/**
 * The memory every socket this module connects reads into (Node's `onread`
 * option): one per thread, shared by all of them. A socket reads into it
 * only inside its own read callback, which copies out whatever it leaves
 * before returning (`BaseStream._pushBorrowed`), so no byte in it outlives
 * the callback.
 */
const READ_MEMORY = Buffer.allocUnsafe(MAX_READ);
/** Where the next read goes, set by a socket's read callback for the `readMemory` call that follows it. */
let nextReadMemory: Uint8Array = READ_MEMORY;

/**
 * How a transport opens a client socket: the Node function that makes it
 * (`net.connect`, `tls.connect`) and the event that means it is ready for
 * data (`'connect'`, `'secureConnect'`: for TLS, once the peer is verified).
 * `connect` is given the transport's options plus `allowHalfOpen` and
 * `onread`, which every socket of this module reads with.
 */
export interface SocketConnector<O> {
  connect(options: O & { allowHalfOpen: true; onread: OnReadOpts }): Socket;
  readonly readyEvent: string;
}

/** Plain `net.connect` (TCP, Unix sockets, named pipes), ready on `'connect'`. */
const NET_CONNECTOR: SocketConnector<NetConnectOpts> = { connect: netConnect, readyEvent: 'connect' };

/** Where an adopted duplex keeps its stream, for the shared listeners. */
const kStream = Symbol('evergreen.stream');
type AdoptedDuplex = Duplex & { [kStream]: DuplexStream };

/**
 * The Duplex adapter: a `BaseStream` over any Node `Duplex` — `net.Socket`,
 * `tls.TLSSocket`, a tty stream, a child's stdio. Transports differ only in
 * how they create, connect and name the handle; everything else lives here.
 *
 * Backpressure: above `highWaterMark` unread bytes the duplex is paused, so a
 * socket stops reading and the kernel's window closes on the peer.
 * Half-close: the duplex is switched to `allowHalfOpen`, so the peer's FIN
 * ends reading only.
 */
export class DuplexStream extends BaseStream {
  /**
   * One set of listener functions for every stream (each finds its stream
   * on the duplex), instead of four closures per connection: an idle
   * connection's memory is mostly such small objects.
   */
  static readonly #listeners = {
    data(this: AdoptedDuplex, chunk: Buffer): void {
      const stream = this[kStream];
      stream._pushData(chunk);
      // A socket read without `onread` hands each read over whole: a full one is MAX_READ bytes.
      stream._countRead(chunk.length >= MAX_READ);
    },
    end(this: AdoptedDuplex): void {
      this[kStream].#peerEnded();
    },
    error(this: AdoptedDuplex, error: Error): void {
      this[kStream]._pushError(error);
    },
    close(this: AdoptedDuplex): void {
      const stream = this[kStream];
      stream._pushEnd();
      stream._handleClosed();
    },
    /**
     * Node's `onread.callback`, called with the socket as `this`; true: go
     * on reading (pausing, by `highWaterMark` or the read budget, is
     * `_pauseReading`'s). It also sizes the socket's next read, for
     * `readMemory`, which Node calls right after it.
     */
    read(this: AdoptedDuplex, nread: number, memory: Uint8Array): boolean {
      const stream = this[kStream];
      const full = nread === memory.length;
      stream._pushBorrowed(full ? memory : memory.subarray(0, nread));
      nextReadMemory = stream._nextReadMemory(READ_MEMORY, full);
      stream._countRead(full);
      return true;
    },
    /**
     * Node's `onread.buffer` as a function, called (without `this`) after
     * each `read` and once when the socket is made: where the next read
     * goes (see `BaseStream._nextReadMemory`).
     */
    readMemory(): Uint8Array {
      const memory = nextReadMemory;
      nextReadMemory = READ_MEMORY;
      return memory;
    },
  };

  #duplex: Duplex | undefined;
  readonly #resettable: boolean;

  /** Node's `onread` option for a socket of this module (one frozen object, shared: Node only reads it). */
  static readonly _onread: Readonly<{ buffer: () => Uint8Array; callback: (nread: number, memory: Uint8Array) => boolean }> = Object.freeze({
    buffer: DuplexStream.#listeners.readMemory,
    callback: DuplexStream.#listeners.read as (nread: number, memory: Uint8Array) => boolean,
  });

  constructor(duplex?: Duplex, options: DuplexStreamOptions = {}) {
    super(options);
    this.#resettable = options.resettable === true;
    if (duplex !== undefined) {
      const shared = options.readIntoMemory === true && readIntoMemory(duplex);
      this._attach(duplex);
      if (shared) takeBuffered(duplex);
      if (options.connected !== false) this._setConnected();
    }
  }

  /** The underlying handle (undefined until attached). */
  protected get _duplex(): Duplex | undefined {
    return this.#duplex;
  }

  /**
   * Bytes received from the handle so far (a `net.Socket` counts them
   * itself, so reading this costs nothing and counting costs nothing per
   * chunk); 0 for a handle that keeps no count.
   */
  get bytesRead(): number {
    return (this.#duplex as { bytesRead?: number } | undefined)?.bytesRead ?? 0;
  }

  /**
   * Bytes handed to the handle for writing so far (a `net.Socket`'s own
   * count: queued bytes included); 0 for a handle that keeps no count.
   */
  get bytesWritten(): number {
    return (this.#duplex as { bytesWritten?: number } | undefined)?.bytesWritten ?? 0;
  }

  /**
   * The OS file descriptor of the handle (a socket's, a pipe's), or -1 when
   * there is none: not attached yet, closed, or a handle Node gives no
   * descriptor for (Windows). For resource accounting: Unix numbers
   * descriptors lowest first, so a connection's descriptor says how many the
   * process holds at least. Reading it costs a property lookup.
   */
  get fd(): number {
    const fd = (this.#duplex as { _handle?: { fd?: unknown } | null } | undefined)?._handle?.fd;
    return typeof fd === 'number' ? fd : -1;
  }

  /**
   * Transports: adopts `duplex` as this stream's handle and starts reading.
   * Throws `TypeError` if the stream already has one.
   */
  protected _attach(duplex: Duplex): void {
    if (this.#duplex !== undefined) throw new TypeError('Cannot attach a second handle to the stream');
    const owner = (duplex as Partial<AdoptedDuplex>)[kStream];
    // Two live streams on one handle would each see half the bytes (or all
    // twice): a handle (a shared process.stdin) passes on only once its
    // stream is closed, and keeps the listeners it already has.
    if (owner !== undefined && !owner.closed) throw new TypeError('Cannot attach the handle: another stream still owns it');
    this.#duplex = duplex;
    // net.Socket and Duplex both check this at end-of-readable time.
    duplex.allowHalfOpen = true;
    (duplex as AdoptedDuplex)[kStream] = this;
    if (owner === undefined) {
      const listeners = DuplexStream.#listeners;
      duplex.on('data', listeners.data);
      duplex.on('end', listeners.end);
      duplex.on('error', listeners.error);
      duplex.on('close', listeners.close);
    }
    // A one-way handle (a read-only pipe end, …) never reports the end of
    // the direction it lacks.
    if (!duplex.readable) this._pushEnd();
    if (!duplex.writable) this._setWriteEnded();
    if (this.closed) duplex.destroy();
  }

  /**
   * Transports: opens a socket with Node's `options` (through `connector`:
   * `net.connect` by default), adopts it and resolves it once its ready
   * event fires (writes buffered before are then sent). `target` names the
   * peer in error messages (`'127.0.0.1:7000'`).
   *
   * Errors: the transport's error class — `EISCONN`/`EALREADY` when the
   * stream is connected or connecting already, the OS error (`ECONNREFUSED`,
   * `ENOENT`, …, with `errno`, `code` and the Node error as `cause`) when the
   * connection cannot be made, `StreamClosedError` once closed — or
   * `signal.reason` when aborted. A connect that fails or is aborted closes
   * the stream (make a new one to try again); `EISCONN`/`EALREADY` leave it
   * as it was.
   */
  protected async _connectSocket<O extends object = NetConnectOpts>(
    options: O,
    signal?: AbortSignal,
    target = 'the peer',
    connector: SocketConnector<O> = NET_CONNECTOR as unknown as SocketConnector<O>,
  ): Promise<Socket> {
    const action = `Cannot connect to ${target}`;
    if (this.closed) throw this._errors.closed(action);
    if (this.connected) throw this._errors.withCode(action, 'EISCONN', 'the stream is already connected');
    if (this.#duplex !== undefined) throw this._errors.withCode(action, 'EALREADY', 'the stream is already connecting');
    if (signal?.aborted) {
      this.close();
      throw signal.reason;
    }
    // Bytes are read into shared memory and copied once, to where the read
    // waiting for them wants them, instead of into a new Buffer per read.
    const socket = connector.connect({ ...options, allowHalfOpen: true, onread: DuplexStream._onread });
    this._attach(socket);
    try {
      await whenReady(socket, connector.readyEvent, signal);
    } catch (error) {
      this.close();
      throw signal?.aborted ? signal.reason : this._errors.system(action, error);
    }
    this._setConnected();
    return socket;
  }

  /** The peer's end of stream, or the reset libuv reported as one. */
  #peerEnded(): void {
    const reset = this.#resettable ? resetBehindEnd(this.#duplex as Socket) : undefined;
    if (reset === undefined) this._pushEnd();
    else this._pushError(reset);
  }

  /** Transports: the handle is closed and released (after an end, an error or `close()`). */
  protected _handleClosed(): void {}

  protected _writeChunk(data: WriteData): boolean {
    const duplex = this.#duplex!;
    // Node counts a queued string by its length, not its bytes: queued behind
    // others it is encoded now (it would be copied on its way out anyway), so
    // `writableLength` counts bytes.
    duplex.write(typeof data === 'string' && duplex.writableLength > 0 ? Buffer.from(data) : data);
    // Node writes to a socket synchronously when the kernel takes it all, and
    // then counts nothing as pending.
    return duplex.writableLength === 0;
  }

  protected _writableLength(): number {
    return this.#duplex?.writableLength ?? 0;
  }

  protected _flushWrites(): Promise<void> {
    const duplex = this.#duplex!;
    // Destroyed by a failure whose 'error' event is still to come: what was
    // pending is gone (Node empties the write buffer), not sent.
    if (duplex.destroyed && !duplex.writableFinished) return Promise.reject(this._errors.closed('Cannot flush', duplex.errored ?? undefined));
    if (duplex.writableLength === 0 || duplex.writableEnded) return Promise.resolve();
    // Write callbacks run in order: the empty write's runs after every
    // earlier chunk reached the OS, or with the error that stopped them.
    return new Promise((resolve, reject) =>
      duplex.write(EMPTY, (error) => (error ? reject(this._errors.system('Cannot flush', error)) : resolve())),
    );
  }

  protected _endWrites(): Promise<void> {
    const duplex = this.#duplex!;
    if (duplex.writableFinished) return Promise.resolve();
    return new Promise((resolve, reject) =>
      duplex.end((error?: Error | null) => (error ? reject(this._errors.system('Cannot shut down', error)) : resolve())),
    );
  }

  protected _destroy(): void {
    this.#duplex?.destroy();
  }

  protected override _abort(): void {
    const duplex = this.#duplex;
    if (this.#resettable && duplex instanceof Socket && !duplex.destroyed) duplex.resetAndDestroy();
    else this._destroy();
  }

  protected _pauseReading(): void {
    this.#duplex?.pause();
  }

  protected _resumeReading(): void {
    this.#duplex?.resume();
  }
}

/**
 * Resolves when `socket` emits `event`; rejects with its `'error'`, or with
 * `signal.reason` when `signal` aborts. What `events.once(socket, event,
 * { signal })` does, without the weak listener it puts on the signal (a
 * `WeakRef` and a `FinalizationRegistry` entry per call, measured to take
 * a large part of an upstream connection's CPU in a relay that makes one
 * per accepted connection): every listener here is removed once it settles.
 */
function whenReady(socket: Socket, event: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      socket.off(event, onReady);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    const onAbort = (): void => {
      done();
      reject(signal!.reason);
    };
    socket.once(event, onReady);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The reset behind a TCP socket's end of stream, if any. libuv (Node 20's)
 * takes a hang-up for end of stream without reading the socket's pending
 * error, so a reset that arrives while reading is paused (backpressure)
 * reads as a clean end after the bytes the kernel had. A write makes the
 * kernel report that error; a zero-length one sends nothing when there is
 * none, and fails at once (Node records it in `errored`) when there is.
 * Only `ECONNRESET` means the peer aborted: after the peer's FIN the kernel
 * says `EPIPE` (every byte it sent is in). Undefined when there is no reset,
 * or when it cannot be told: the write side is shut or has bytes pending
 * (their write reports the reset instead).
 * Cost: one `write` system call per end of stream.
 */
function resetBehindEnd(socket: Socket): Error | undefined {
  if (socket.destroyed || socket.connecting || socket.writableEnded || socket.writableLength > 0) return undefined;
  socket.write(EMPTY);
  const error = socket.errored as NodeJS.ErrnoException | null;
  return error?.code === 'ECONNRESET' ? error : undefined;
}

/** The private `net.Socket` fields behind Node's `onread` option, by their symbols' descriptions. */
const ONREAD_FIELDS = ['kBuffer', 'kBufferCb', 'kBufferGen'] as const;

/** The symbols of {@link ONREAD_FIELDS}, found on the first socket that has them all (they are node:net's, the same for every socket). */
let onreadFieldSymbols: readonly symbol[] | undefined;

/**
 * The symbols of `socket`'s own {@link ONREAD_FIELDS}, in that order, or
 * undefined when it lacks one. Cost: a search of the socket's symbols the
 * first time; after that three own-property checks.
 */
function onreadSymbols(socket: Socket): readonly symbol[] | undefined {
  if (onreadFieldSymbols === undefined) {
    const byName = new Map(Object.getOwnPropertySymbols(socket).map((symbol) => [symbol.description, symbol]));
    const found = ONREAD_FIELDS.map((name) => byName.get(name));
    if (found.some((symbol) => symbol === undefined)) return undefined;
    onreadFieldSymbols = found as symbol[];
  }
  // A loop, not `every`: this runs for every accepted socket, and allocates nothing.
  for (let i = 0; i < onreadFieldSymbols.length; i++) if (!Object.hasOwn(socket, onreadFieldSymbols[i])) return undefined;
  return onreadFieldSymbols;
}

/**
 * Node 20's `net.Server` takes no `onread` option, so an accepted socket
 * reads into a new Buffer per read. This gives `duplex`, when it is a
 * `net.Socket` nobody reads yet (a freshly accepted one, or a TLS socket
 * just out of its handshake, whose first bytes may already wait in its
 * buffer: `takeBuffered` passes those on first), what `net.connect` gives a
 * socket made with `onread`: the three private fields Node's read path
 * checks on every read (`kBuffer`, `kBufferCb`, `kBufferGen`, found by their
 * symbols' descriptions) and the handle's user buffer (`useUserBuffer`).
 * Anything else — a socket something already reads (flowing), another kind
 * of duplex, a Node whose socket lacks these internals — is left alone and
 * read the ordinary way. Returns whether it switched.
 */
function readIntoMemory(duplex: Duplex): boolean {
  if (!(duplex instanceof Socket)) return false;
  const handle = (duplex as Socket & { _handle?: { useUserBuffer?: (memory: Uint8Array) => void } | null })._handle;
  if (typeof handle?.useUserBuffer !== 'function') return false;
  if (duplex.connecting || duplex.destroyed || duplex.readableFlowing === true) return false;
  const symbols = onreadSymbols(duplex);
  if (symbols === undefined) return false;
  const onread = DuplexStream._onread;
  const memory = onread.buffer();
  const fields = duplex as unknown as Record<symbol, unknown>;
  // Indexed, not destructured: no iterator per accepted socket.
  fields[symbols[0]] = memory;
  fields[symbols[1]] = onread.callback;
  fields[symbols[2]] = onread.buffer;
  handle.useUserBuffer(memory);
  return true;
}

/**
 * Passes on, now and in order, the bytes a socket read before it switched
 * to shared memory (`readIntoMemory`): they wait in its buffer, and the
 * stream's `'data'` listener (attached: the socket flows) takes them chunk by
 * chunk, ahead of anything read into the shared memory. Stops early when
 * the stream pauses the socket (backpressure): Node's own flow passes the
 * rest on once it resumes, before the handle reads again.
 */
function takeBuffered(duplex: Duplex): void {
  while (duplex.readableLength > 0 && duplex.readableFlowing === true && duplex.read() !== null);
}
