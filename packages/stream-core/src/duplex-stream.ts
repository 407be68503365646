import type { Duplex } from 'node:stream';
import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { once } from 'node:events';
import { BaseStream, type BaseStreamOptions, type WriteData } from './base-stream.js';

/** Options of a stream over a Node `Duplex`. */
export interface DuplexStreamOptions extends BaseStreamOptions {
  /**
   * Whether the duplex can take writes already (default true). A transport
   * that is still connecting passes false and calls `_setConnected()` later;
   * writes until then are buffered by the stream.
   */
  connected?: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * The memory every socket this module connects reads into (Node's `onread`
 * option): one per thread, shared by all of them. A socket reads into it
 * only inside its own read callback, which copies out whatever it leaves
 * before returning (`BaseStream._pushBorrowed`), so no byte in it outlives
 * the callback. 64 KiB: what libuv reads at once by default.
 */
const READ_MEMORY = Buffer.allocUnsafe(64 * 1024);

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
      this[kStream]._pushData(chunk);
    },
    end(this: AdoptedDuplex): void {
      this[kStream]._pushEnd();
    },
    error(this: AdoptedDuplex, error: Error): void {
      this[kStream]._pushError(error);
    },
    close(this: AdoptedDuplex): void {
      const stream = this[kStream];
      stream._pushEnd();
      stream._handleClosed();
    },
    /** Node's `onread.callback`, called with the socket as `this`; true: go on reading (pausing is `_pauseReading`'s). */
    read(this: AdoptedDuplex, nread: number, memory: Uint8Array): boolean {
      this[kStream]._pushBorrowed(nread === memory.length ? memory : memory.subarray(0, nread));
      return true;
    },
  };

  #duplex: Duplex | undefined;

  constructor(duplex?: Duplex, options: DuplexStreamOptions = {}) {
    super(options);
    if (duplex !== undefined) {
      this._attach(duplex);
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
   * Transports: opens a `net.Socket` with Node's `options`, adopts it and
   * resolves it once connected (writes buffered before are then sent).
   * `target` names the peer in error messages (`'127.0.0.1:7000'`).
   *
   * Errors: the transport's error class — `EISCONN`/`EALREADY` when the
   * stream is connected or connecting already, the OS error (`ECONNREFUSED`,
   * `ENOENT`, …, with `errno`, `code` and the Node error as `cause`) when the
   * connection cannot be made, `StreamClosedError` once closed — or
   * `signal.reason` when aborted. A connect that fails or is aborted closes
   * the stream (make a new one to try again); `EISCONN`/`EALREADY` leave it
   * as it was.
   */
  protected async _connectSocket(options: NetConnectOpts, signal?: AbortSignal, target = 'the peer'): Promise<Socket> {
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
    const onread = { buffer: READ_MEMORY, callback: DuplexStream.#listeners.read };
    const socket = netConnect({ ...options, allowHalfOpen: true, onread });
    this._attach(socket);
    try {
      await once(socket, 'connect', signal === undefined ? undefined : { signal });
    } catch (error) {
      this.close();
      throw signal?.aborted ? signal.reason : this._errors.system(action, error);
    }
    this._setConnected();
    return socket;
  }

  /** Transports: the handle is closed and released (after an end, an error or `close()`). */
  protected _handleClosed(): void {}

  protected _writeChunk(data: WriteData): boolean {
    const duplex = this.#duplex!;
    duplex.write(data);
    // Node writes to a socket synchronously when the kernel takes it all, and
    // then counts nothing as pending.
    return duplex.writableLength === 0;
  }

  protected _flushWrites(): Promise<void> {
    const duplex = this.#duplex!;
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

  protected _pauseReading(): void {
    this.#duplex?.pause();
  }

  protected _resumeReading(): void {
    this.#duplex?.resume();
  }
}
