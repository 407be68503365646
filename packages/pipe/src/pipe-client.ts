import { DuplexStream, type BaseStreamOptions } from '@evergreen/stream-core';
import { PipeError } from './pipe-error.js';
import { checkPipePath, describePipePath } from './pipe-path.js';

/** Limits of a client. */
export interface PipeClientOptions extends Omit<BaseStreamOptions, 'errorClass'> {}

/** `connect` options. */
export interface PipeConnectOptions {
  /** Cancels the connect: it rejects with `signal.reason` and the client is closed. */
  signal?: AbortSignal;
}

/**
 * A client of a Unix domain socket, a Linux abstract name or a Windows
 * named pipe: create it, `connect(path)`, then read and write.
 *
 * Writes made before `connect()` resolves are buffered and sent on connect.
 * A connect that fails or is aborted closes the client; make a new one to
 * try again.
 *
 * Errors: every error it raises is a `PipeError` (and of its kind:
 * `StreamClosedError`, `IncompleteReadError`, `LimitExceededError`).
 * Cost: one `net.Socket`; reads are zero-copy inside one received chunk.
 */
export class PipeClient extends DuplexStream {
  /** Throws `RangeError` for invalid limits. */
  constructor(options: PipeClientOptions = {}) {
    super(undefined, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, coalesceBytes: options.coalesceBytes, readBudget: options.readBudget, errorClass: PipeError });
  }

  /**
   * Connects to the server at `path` (see `PipePathKind` for the kinds).
   *
   * Errors: `TypeError`/`RangeError` for a malformed or too long path (before
   * Node would truncate it); a `PipeError` with `errno`/`code` and the Node
   * error as `cause` when the connection cannot be made (`ENOENT`: nothing
   * there, `ECONNREFUSED`: a stale socket file, `EACCES`: not allowed,
   * `EAGAIN`: the server's backlog is full); `signal.reason` when aborted; a
   * `PipeError` `EISCONN`/`EALREADY` when the client is connected or
   * connecting already; `StreamClosedError` once closed. Any failure but the
   * argument errors closes the client.
   */
  async connect(path: string, options: PipeConnectOptions = {}): Promise<void> {
    checkPipePath(path, 'Cannot connect to pipe');
    await this._connectSocket({ path }, options.signal, `pipe ${describePipePath(path)}`);
  }
}
