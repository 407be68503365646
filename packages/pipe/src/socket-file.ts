import { lstatSync, unlinkSync } from 'node:fs';
import { chmod, chown, lstat, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Server } from 'node:net';
import { listenOn } from '@evergreen/stream-core';
import { linkIntoPlace, sameFile } from './stale-socket.js';

/** Permission bits a socket file gets unless `bind` is told otherwise: only its owner may connect. */
export const DEFAULT_SOCKET_MODE = 0o600;

/** The private directory a socket is bound in first: `mkdtemp` adds six random characters. */
const PRIVATE_DIRECTORY_PREFIX = '.pipe-';
const MKDTEMP_SUFFIX = 'XXXXXX';
const PRIVATE_SOCKET_NAME = 's';

/** How a socket file is bound. */
export interface SocketFileOptions {
  /** Permission bits of the socket file. */
  mode: number;
  /** The group id the socket file is given (default: left as the kernel made it, the process's group). */
  group?: number;
  /** Node's listen backlog. */
  backlog?: number;
  /** Starts error messages (`'Cannot bind pipe "/run/app.sock"'`). */
  action: string;
}

/**
 * The longest path the private bind of `path` uses (`<dir>/.pipe-XXXXXX/s`):
 * it must fit the Unix path limit too.
 */
export function privateBindPath(path: string): string {
  return join(dirname(path), `${PRIVATE_DIRECTORY_PREFIX}${MKDTEMP_SUFFIX}`, PRIVATE_SOCKET_NAME);
}

/**
 * Makes `listener` listen on a Unix socket file at `path` whose mode is
 * `mode` from the moment anyone can reach it:
 *
 * 1. `mkdtemp` a directory next to `path` (mode 0700: no other user can
 *    reach inside it) and bind the socket there — the kernel creates the
 *    file as 0777 less the umask, which may be looser than `mode`;
 * 2. `chown` the socket file to `group` when one is given, then `chmod` it
 *    to `mode` (so a `0660` socket is never open to the wrong group);
 * 3. `link()` it to `path` (same directory, so the same file system), which
 *    fails rather than replace what is there: a stale socket is replaced, a
 *    live one or a non-socket fails (see `linkIntoPlace`);
 * 4. remove the private directory (the socket keeps its public name).
 *
 * Resolves with a function that unlinks `path` if it is still this socket
 * (same device and inode): libuv unlinks only the name it bound, the private
 * one, already gone.
 *
 * Errors: the Node error of `mkdtemp`/`listen`/`chown`/`chmod` (`ENOENT`, `EACCES`, `EPERM`,
 * …) or a `PipeError` `EADDRINUSE`/`EEXIST` from `linkIntoPlace`; the private
 * directory is removed either way. Cost: about ten file-system calls, once.
 */
export async function bindSocketFile(listener: Server, path: string, options: SocketFileOptions): Promise<() => void> {
  const absolute = resolve(path);
  const directory = await mkdtemp(join(dirname(path), PRIVATE_DIRECTORY_PREFIX));
  try {
    const privatePath = join(directory, PRIVATE_SOCKET_NAME);
    await listenOn(listener, { path: privatePath, backlog: options.backlog });
    if (options.group !== undefined) await chown(privatePath, -1, options.group);
    await chmod(privatePath, options.mode);
    const bound = await lstat(privatePath);
    await linkIntoPlace(privatePath, path, options.action);
    return () => removeIfUnchanged(absolute, bound);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * Unlinks `path` if it is still the file `bound` (another process may have
 * replaced it, and that one is not ours). Synchronous, so `PipeServer#close`
 * can unlink before the listener closes, libuv's own order: a client then
 * finds nothing (`ENOENT`) rather than a refusing socket. Failures are
 * ignored, as libuv ignores them: there is no one to tell at close.
 */
function removeIfUnchanged(path: string, bound: Parameters<typeof sameFile>[0]): void {
  try {
    if (sameFile(lstatSync(path), bound)) unlinkSync(path);
  } catch {
    // ENOENT: already gone; EACCES and the like: nothing better to do.
  }
}
