import type { Server } from 'node:net';
import { listenOn } from '@evergreen/stream-core';
import { checkPipePath, describePipePath, maxUnixPathBytes, pipePathKind, type PipePathKind } from './pipe-path.js';
import { DEFAULT_SOCKET_MODE, bindSocketFile, privateBindPath } from './socket-file.js';

/** How {@link listenPipe} listens. */
export interface ListenPipeOptions {
  /** Permission bits of a Unix socket file, 0..0o777 (default `0o600`); a `TypeError` for names without a file. */
  mode?: number;
  /** Node's listen backlog. */
  backlog?: number;
}

/** The highest permission bits a socket file can have (no setuid/setgid/sticky). */
const MAX_MODE = 0o777;

/**
 * Checks what `listenPipe` would be given, before anything is bound: the
 * path's shape and length, the private bind path's length (a Unix socket is
 * bound at `<dir>/.pipe-XXXXXX/s` first), and `mode`. Resolves nothing;
 * returns the mode to use. Throws `TypeError` (a malformed path, a mode on a
 * name without a file, a mode that is not a number) or `RangeError` (too
 * long, a mode outside 0..0o777), messages starting with `action`.
 */
export function checkPipeListen(path: string, mode: number | undefined, action: string): number {
  const kind = checkBindPath(path, action);
  if (kind !== 'unix' && mode !== undefined) {
    throw new TypeError(`${action} ${describePipePath(path)} with a mode: ${kind} names have no file to set it on`);
  }
  return checkMode(mode ?? DEFAULT_SOCKET_MODE);
}

/**
 * Checks that a bind can take `path`, without binding or touching the file
 * system: what `checkPipePath` checks, and for a Unix path that the private
 * path it is first bound at (`<dir>/.pipe-XXXXXX/s`) fits the Unix limit
 * too. Returns its kind; throws as `bind` does (`TypeError`, `RangeError`,
 * messages starting with `action`). For a tool that validates a setup
 * before running it. Cost: a few string measures.
 */
export function checkBindPath(path: string, action = 'Cannot bind pipe'): PipePathKind {
  const kind = checkPipePath(path, action);
  if (kind === 'unix') checkPrivateBindPath(path, action);
  return kind;
}

/**
 * Makes `listener` — any `net.Server`, an `http.Server` too — listen on the
 * pipe `path` exactly as `PipeServer#bind` does: a Unix socket file has
 * `mode` from the moment anyone can reach it, a stale one left by a dead
 * process is replaced, a live one or a non-socket is left alone
 * (`bindSocketFile`); an abstract or Windows name is listened on as it is.
 *
 * Resolves a function that removes the socket file if it is still this
 * listener's (a no-op for names without a file): call it before closing the
 * listener. Rejects as `checkPipeListen` throws, with the OS error of the
 * listen, or with a `PipeError` `EADDRINUSE`/`EEXIST`. Cost: one listen, and
 * for a Unix path about ten file-system calls.
 */
export async function listenPipe(listener: Server, path: string, options: ListenPipeOptions = {}): Promise<() => void> {
  const action = `Cannot bind pipe ${describePipePath(path)}`;
  const mode = checkPipeListen(path, options.mode, 'Cannot bind pipe');
  if (pipePathKind(path) !== 'unix') {
    await listenOn(listener, { path, backlog: options.backlog });
    return () => {};
  }
  return bindSocketFile(listener, path, { mode, backlog: options.backlog, action });
}

function checkMode(mode: number): number {
  if (typeof mode !== 'number') throw new TypeError(`Cannot bind with mode ${String(mode)}: expected a number such as 0o600`);
  if (!Number.isInteger(mode) || mode < 0 || mode > MAX_MODE) {
    throw new RangeError(`Cannot bind with mode ${mode}: expected permission bits 0..0o777`);
  }
  return mode;
}

/** The private bind path (`<dir>/.pipe-XXXXXX/s`) must fit the Unix path limit as well as `path`. */
function checkPrivateBindPath(path: string, action: string): void {
  const privatePath = privateBindPath(path);
  const size = Buffer.byteLength(privatePath);
  const limit = maxUnixPathBytes();
  if (size > limit) {
    const reason = `it is bound first at "${privatePath}" (${size} bytes), over the limit of ${limit}; use a shorter directory`;
    throw new RangeError(`${action} ${describePipePath(path)}: ${reason}`);
  }
}
