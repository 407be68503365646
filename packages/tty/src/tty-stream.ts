import type { ReadStream, WriteStream } from 'node:tty';
import { DuplexStream, type BaseStreamOptions } from '@evergreen/stream-core';
import { descriptorDuplex, type DescriptorDuplex } from './descriptor-duplex.js';
import { rawModeRegistry } from './raw-mode-registry.js';
import { TTYError } from './tty-error.js';
import { ttyHandle, type TTYHandle } from './tty-handle.js';
import { windowResizes, type WinSize } from './window-resizes.js';

/** Limits of a TTY stream (`highWaterMark`, `maxBufferSize`); its errors are always `TTYError`. */
export type TTYStreamOptions = Omit<BaseStreamOptions, 'errorClass'>;

/** Options of `TTYStream#resizes`. */
export interface ResizesOptions {
  /** Stops the iteration: the pending `next()` rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** The highest standard descriptor (stderr): 0-2 are the process's stdio. */
const STDERR_FD = 2;

/**
 * A stream over one file descriptor in one direction — reading
 * (`readable: true`) or writing — as libuv's and Node's tty streams are:
 * the evergreen.io `TTYStream(fd, readable)`.
 *
 * A terminal is read and written through Node's `tty.ReadStream` /
 * `tty.WriteStream`; a pipe, FIFO or socket through `net.Socket`; anything
 * else (a file, `/dev/null`) through `fs` — whatever Node would use for it as
 * stdio, so a program works in a shell pipeline as under a terminal. All
 * reads and writes are stream-core's (`readUntil`, `records`, `write`,
 * `flush`, backpressure, limits). The other direction is over from the
 * start: a read-only stream's `write()` throws `StreamClosedError`, a
 * write-only stream's reads see end of stream. Once its one direction ends
 * (end of input, or `shutdown()`), the stream is `closed`.
 *
 * Terminal control: `winsize`, `setRawMode()`, `resizes()`; on a descriptor
 * that is not a terminal they throw `TTYError` `ENOTTY`. A terminal left raw
 * is put back when the stream closes and when the process ends, also by
 * SIGINT, SIGTERM, SIGHUP or an uncaught exception (see the README).
 *
 * Errors: every error is a `TTYError` (and of its kind: `StreamClosedError`,
 * …). The constructor throws `TypeError`/`RangeError` for a bad `fd` or
 * `readable`, and `TTYError` (`EBADF`, …) when the descriptor can't be used.
 * Writes: on 0-2 each write goes out as it is made (`coalesceBytes` 0 by
 * default), in order with `console.log`; on other descriptors the small
 * writes of a turn are sent together at its end, as on every stream.
 * Ownership: a descriptor above 2 is closed with the stream; 0-2 never are
 * (Node and libuv keep stdio open), so a stdout pipe's reader sees end of
 * stream when the process exits, not on `shutdown()`.
 */
export class TTYStream extends DuplexStream {
  readonly #fd: number;
  readonly #tty: ReadStream | WriteStream | undefined;
  /** Aborted when the handle is released: ends every `resizes()` iteration. */
  readonly #released = new AbortController();
  #raw = false;
  readonly #restore = (): void => {
    this.#raw = false;
    if (this.#tty !== undefined) ttyHandle(this.#tty)?.setRawMode(false);
  };

  constructor(fd: number, readable: boolean, options: TTYStreamOptions = {}) {
    if (!Number.isSafeInteger(fd)) throw new TypeError(`Cannot open fd ${String(fd)}: expected an integer descriptor`);
    if (fd < 0) throw new RangeError(`Cannot open fd ${fd}: expected a descriptor >= 0`);
    if (typeof readable !== 'boolean') throw new TypeError(`Cannot open fd ${fd}: expected readable to be a boolean`);
    // Stdio is shared with console.log and process.stdout, which write at
    // once: held writes would come out after later console output, and be
    // lost by a process.exit() in the same turn.
    super(undefined, { coalesceBytes: fd <= STDERR_FD ? 0 : undefined, ...options, errorClass: TTYError });
    this.#fd = fd;
    const { duplex, tty } = this.#open(fd, readable);
    this.#tty = tty;
    this._attach(duplex);
    this._setConnected();
    // The one-way handle never finishes the other direction itself: end it
    // now. A shared process.stdin that an earlier stream closed, or that
    // reached its end, has nothing more to give either.
    if (!readable || duplex.readableEnded || duplex.destroyed) this._pushEnd();
    if (readable) void this.shutdown();
  }

  /** The file descriptor this stream reads or writes (also once closed: it was given, not made). */
  override get fd(): number {
    return this.#fd;
  }

  /** Whether the descriptor is a terminal (`winsize`, `setRawMode` and `resizes` work). */
  get isTTY(): boolean {
    return this.#tty !== undefined;
  }

  /** Whether this stream put its terminal into raw mode (and has not left it). */
  get isRaw(): boolean {
    return this.#raw;
  }

  /**
   * The terminal's size in character cells, read from the OS on each access
   * (one `ioctl(TIOCGWINSZ)`). Throws `TTYError` `ENOTTY` on a non-terminal,
   * `StreamClosedError` after close.
   */
  get winsize(): WinSize {
    const action = 'Cannot read the window size';
    const size: [number, number] = [0, 0];
    this.#check(this.#handle(action).getWindowSize(size), action);
    return { columns: size[0], rows: size[1] };
  }

  /**
   * Raw mode (`true`): bytes arrive as typed, one key at a time, without
   * echo, line editing or signal keys (^C is the byte 0x03). `false` puts back
   * the mode the terminal had before. Synchronous; the terminal is restored
   * on close and at process end. Throws `TTYError` `ENOTTY` on a
   * non-terminal, `TTYError` with the OS's errno if the terminal refuses,
   * `StreamClosedError` after close.
   */
  setRawMode(enable: boolean): void {
    if (typeof enable !== 'boolean') throw new TypeError('Cannot set raw mode: expected a boolean');
    const action = enable ? 'Cannot enter raw mode' : 'Cannot leave raw mode';
    this.#check(this.#handle(action).setRawMode(enable), action);
    this.#raw = enable;
    if (enable) rawModeRegistry.add(this.#restore);
    else rawModeRegistry.delete(this.#restore);
  }

  /**
   * Iterates the terminal's new size each time it changes (SIGWINCH), until
   * the stream closes (the iteration ends) or `signal` aborts (it rejects with
   * `signal.reason`). A burst of resizes while the consumer is busy yields
   * only the latest size: memory stays constant. Only a terminal's
   * foreground process group is sent SIGWINCH, so a terminal that is not the
   * process's controlling one yields nothing. Throws at once — `TTYError`
   * `ENOTTY` on a non-terminal, `StreamClosedError` after close.
   *
   * @example
   * for await (const { columns, rows } of stdout.resizes({ signal })) redraw(columns, rows);
   */
  resizes(options: ResizesOptions = {}): AsyncGenerator<WinSize, void, undefined> {
    return windowResizes(() => this.winsize, this.winsize, this.#released.signal, options.signal);
  }

  protected override _destroy(): void {
    if (this.#raw) {
      rawModeRegistry.delete(this.#restore);
      this.#restore();
    }
    this.#released.abort();
    super._destroy();
  }

  #open(fd: number, readable: boolean): DescriptorDuplex {
    try {
      return descriptorDuplex(fd, readable);
    } catch (error) {
      throw this._errors.system(`Cannot open fd ${fd}`, error);
    }
  }

  #handle(action: string): TTYHandle {
    if (this.#tty === undefined) throw this._errors.withCode(action, 'ENOTTY', `fd ${this.#fd} is not a terminal`);
    const handle = this.closed ? undefined : ttyHandle(this.#tty);
    if (handle === undefined) throw this._errors.closed(action);
    return handle;
  }

  /** Throws the `TTYError` for libuv's result `status` (0 or a negative errno). */
  #check(status: number, action: string): void {
    if (status !== 0) throw this._errors.withErrno(action, status);
  }
}
