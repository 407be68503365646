import { Socket } from 'node:net';
import { DuplexStream, type BaseStreamOptions } from '@evergreen/stream-core';
import { PipeError } from './pipe-error.js';
import { fdAccess } from './fd-access.js';

/** Limits of an adopted stream. */
export interface PipeStreamOptions extends Omit<BaseStreamOptions, 'errorClass'> {}

/**
 * A stream over a descriptor opened elsewhere: a pipe (a child's stdio, a
 * shell pipeline), a FIFO, a socket, one end of a socketpair. Create it, then
 * `open(fd)`.
 *
 * Errors: every error it raises is a `PipeError` (and of its kind).
 * Cost: one `net.Socket` over the descriptor (libuv polls it, no thread).
 */
export class PipeStream extends DuplexStream {
  /** Throws `RangeError` for invalid limits. */
  constructor(options: PipeStreamOptions = {}) {
    super(undefined, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, coalesceBytes: options.coalesceBytes, readBudget: options.readBudget, errorClass: PipeError });
  }

  /**
   * Adopts `fd` — the stream owns it from then on and `close()` closes it —
   * and makes the stream connected. Which directions work follows how the
   * descriptor was opened (see `fdAccess`): a read-only pipe end reads, and
   * writing to it throws `StreamClosedError`; a write-only one writes, and
   * reads see end of stream at once.
   *
   * Errors: `TypeError` for a non-integer `fd` or one that is not a pipe,
   * FIFO or socket; `RangeError` for a negative one; a `PipeError` `EBADF`
   * (with the Node error as `cause`) when it is not open; a `PipeError`
   * `EISCONN` when the stream has a descriptor already; `StreamClosedError`
   * once closed. Cost: see `fdAccess`, then one `net.Socket`.
   */
  open(fd: number): void {
    if (!Number.isInteger(fd)) throw new TypeError(`Cannot open fd ${String(fd)}: expected an integer file descriptor`);
    if (fd < 0) throw new RangeError(`Cannot open fd ${fd}: a file descriptor is 0 or more`);
    const action = `Cannot open fd ${fd}`;
    if (this.closed) throw this._errors.closed(action);
    if (this._duplex !== undefined) throw this._errors.withCode(action, 'EISCONN', 'the stream has a descriptor already');
    const { readable, writable } = this.#access(fd, action);
    let socket: Socket;
    try {
      socket = new Socket({ fd, readable, writable, allowHalfOpen: true });
    } catch (error) {
      throw this._errors.system(action, error);
    }
    // The adapter ends the direction a one-way descriptor lacks.
    this._attach(socket);
    this._setConnected();
  }

  #access(fd: number, action: string): { readable: boolean; writable: boolean } {
    try {
      return fdAccess(fd);
    } catch (error) {
      throw error instanceof TypeError ? error : this._errors.system(action, error);
    }
  }
}
