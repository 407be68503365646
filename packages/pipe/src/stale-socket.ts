import { connect } from 'node:net';
import { once } from 'node:events';
import { link, lstat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { StreamErrorFactory } from '@evergreen/stream-core';
import { PipeError } from './pipe-error.js';

/** The pipe server's own factory (one per error class): claim failures are `PipeError`s. */
const errors = StreamErrorFactory.for(PipeError);

/**
 * How many times `linkIntoPlace` tries to claim a path that other processes
 * keep re-creating before it gives up with `EADDRINUSE`.
 */
export const MAX_CLAIM_ATTEMPTS = 3;

/** What connecting to a socket file says about the server behind it. */
export type SocketProbe =
  | { state: 'live' }
  | { state: 'stale' }
  | { state: 'missing' }
  | { state: 'unknown'; error: NodeJS.ErrnoException };

/**
 * Asks the socket file at `path` whether a server is behind it, by connecting:
 * connected → `'live'` (that server sees one connection that closes at
 * once); `ECONNREFUSED` → `'stale'` (nobody listens: the process that bound
 * it is gone); `ENOENT` → `'missing'`; any other error (`EACCES` on another
 * user's socket, `EAGAIN` when a live server's backlog is full) →
 * `'unknown'`, which callers treat as live.
 *
 * Cost: one connect, which never waits: a non-blocking `connect()` on a Unix
 * socket succeeds or fails at once.
 */
export async function probeSocket(path: string): Promise<SocketProbe> {
  const socket = connect({ path });
  try {
    await once(socket, 'connect');
    return { state: 'live' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return { state: 'stale' };
    if (code === 'ENOENT') return { state: 'missing' };
    return { state: 'unknown', error: error as NodeJS.ErrnoException };
  } finally {
    socket.destroy();
  }
}

/**
 * Gives the socket bound at `privatePath` its public name `path` with
 * `link()`, which never replaces an existing file (unlike `rename()`), so a
 * server that binds `path` meanwhile is never clobbered.
 *
 * When `path` exists: a stale socket file (a connect is refused) is unlinked
 * and the link retried; a live socket fails with a `PipeError` `EADDRINUSE`;
 * anything that is not a socket (a file, a directory, a symlink — never
 * followed) fails with a `PipeError` `EEXIST`. Nothing but a stale socket
 * is ever removed, and only if it is still the same file (device and inode)
 * after the probe. `action` starts the error messages.
 */
export async function linkIntoPlace(privatePath: string, path: string, action: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    try {
      await link(privatePath, path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await removeIfStale(path, action, error);
    }
  }
  throw errors.withCode(action, 'EADDRINUSE', 'the path kept reappearing while it was being claimed');
}

/** Unlinks `path` if it is a stale socket; throws a `PipeError` if it must be left alone. */
async function removeIfStale(path: string, action: string, linkError: unknown): Promise<void> {
  const before = await lstatIfAny(path);
  if (before === undefined) return;
  if (!before.isSocket()) throw errors.withCode(action, 'EEXIST', 'the path exists and is not a socket (left alone)', linkError);
  const probe = await probeSocket(path);
  if (probe.state === 'live') throw errors.withCode(action, 'EADDRINUSE', 'a live server is listening on it', linkError);
  if (probe.state === 'unknown') {
    const reason = `a socket is there and probing it failed with ${probe.error.code} (left alone)`;
    throw errors.withCode(action, 'EADDRINUSE', reason, probe.error);
  }
  const after = probe.state === 'stale' ? await lstatIfAny(path) : undefined;
  if (after !== undefined && sameFile(before, after)) await unlink(path).catch(ignoreMissing);
}

async function lstatIfAny(path: string): Promise<Stats | undefined> {
  return lstat(path).catch((error: NodeJS.ErrnoException) => ignoreMissing(error));
}

/** Swallows `ENOENT` (the file went away, which is what the caller wanted); rethrows the rest. */
function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code !== 'ENOENT') throw error;
  return undefined;
}

/** Whether two `lstat` results are of the same file. */
export function sameFile(a: Pick<Stats, 'dev' | 'ino'>, b: Pick<Stats, 'dev' | 'ino'>): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
