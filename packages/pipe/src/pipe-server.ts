import type { Server, Socket } from 'node:net';
import {
  StreamServer,
  type BindOptions,
  type ConnectionHandler,
  type StreamServerOptions,
} from '@evergreen/stream-core';
import { PipeError } from './pipe-error.js';
import { PipeConnection } from './pipe-connection.js';
import { describePipePath } from './pipe-path.js';
import { checkPipeListen, listenPipe } from './listen-pipe.js';

/** Options of a server: the limits of each connection, `onError` and `closeTimeoutMs`. */
export interface PipeServerOptions extends StreamServerOptions<PipeConnection> {}

/** `bind` options. */
export interface PipeBindOptions extends BindOptions {
  /**
   * Permission bits of the socket file, 0..0o777 (default `0o600`: only this
   * user may connect — connecting needs write permission). Unix socket paths
   * only: abstract and Windows names have no file.
   */
  mode?: number;
  /**
   * The group id of the socket file, set before anyone can connect (default:
   * the process's group). Unix socket paths only.
   */
  group?: number;
}

/**
 * A server on a Unix domain socket, a Linux abstract name or a Windows named
 * pipe: `bind(path)`, then `serve()` hands each accepted connection (a
 * `PipeConnection`) to `handleConnection` — override it or pass a handler.
 * See `StreamServer` for the lifecycle.
 *
 * A Unix socket file is created with `mode` (default 0600) and never more
 * open, even for an instant; a stale one left by a dead process is
 * replaced; it is removed on `close()` (see `bind`).
 *
 * Errors: `bind` rejects `TypeError`/`RangeError` for a malformed path, a too
 * long one or a bad `mode`, and a `PipeError` with `errno`/`code` when the
 * path cannot be had (`EADDRINUSE`, `EEXIST`, `EACCES`, `ENOENT`, …).
 * Cost: one listening `net.Server`; each connection is one `net.Socket`.
 */
export class PipeServer extends StreamServer<PipeConnection, string> {
  #pipename: string | undefined;
  #removeSocketFile: (() => void) | undefined;
  #closing = false;

  constructor(handler?: ConnectionHandler<PipeConnection>, options: PipeServerOptions = {}) {
    super(handler, options, PipeError);
  }

  /**
   * Listens on `path`. For a Unix socket path:
   * - the file gets `mode` (default 0600) before anyone can reach it: the
   *   socket is bound inside a fresh 0700 directory next to `path`, given
   *   `group` (when set) and chmod-ed, then hard-linked to `path` (so the directory needs room for
   *   `.pipe-XXXXXX/s` within the path limit);
   * - a stale socket file (connecting is refused: its process is gone) is
   *   replaced; a live one fails with `PipeError` `EADDRINUSE` and is left
   *   alone, as is anything that is not a socket (`PipeError` `EEXIST`). The
   *   live server sees one probe connection that closes at once.
   * - the file is removed by `close()` (if it is still this socket). A
   *   process that dies without closing leaves it stale for the next bind.
   *
   * Abstract and Windows names have no file: the OS alone says
   * `EADDRINUSE`, and `mode` is a `TypeError` there.
   */
  override async bind(path: string, options: PipeBindOptions = {}): Promise<void> {
    // Checked before the bind begins (listenPipe checks again), so a bad path or mode changes nothing.
    checkPipeListen(path, options.mode, 'Cannot bind pipe', options.group);
    const checked: PipeBindOptions = { backlog: options.backlog, mode: options.mode, group: options.group };
    await super.bind(path, checked);
  }

  /**
   * The path the server is bound to, as given to `bind`. Throws a
   * `PipeError` `EINVAL` before `bind`, and one that is a `StreamClosedError`
   * once the server is closed.
   */
  get pipename(): string {
    const action = 'Cannot read the pipe name';
    if (this.#closing) throw this._errors.closed(action);
    if (this.#pipename === undefined) throw this._errors.withCode(action, 'EINVAL', 'the server is not bound');
    return this.#pipename;
  }

  /**
   * `close()` unlinks a Unix socket file first (if it is still this server's
   * socket), so no client finds it refusing connections.
   */
  protected override _beforeClose(): void {
    this.#closing = true;
    this.#removeSocketFile?.();
    this.#removeSocketFile = undefined;
  }

  protected async _listen(listener: Server, path: string, options: PipeBindOptions): Promise<void> {
    this.#removeSocketFile = await listenPipe(listener, path, options);
    if (this.#closing) {
      // close() ran while binding, before the socket file was ours to remove.
      this.close();
    }
    this.#pipename = path;
  }

  protected _createConnection(socket: Socket): PipeConnection {
    return new PipeConnection(socket, this._connectionOptions);
  }

  protected override _describe(path: string): string {
    return `pipe ${describePipePath(path)}`;
  }
}
