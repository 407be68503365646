import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InstanceLock } from './instance-lock.js';

/** Another live daemon holds the state dir: `pid` is its process. */
export class StateDirInUseError extends Error {
  readonly pid: number;

  constructor(stateDir: string, pid: number) {
    super(`Cannot start evergreend: its state dir "${stateDir}" is in use by another daemon (pid ${pid}); give each daemon its own with --state-dir`);
    this.name = 'StateDirInUseError';
    this.pid = pid;
  }
}

/**
 * Takes `<stateDir>/state.json.lock` for this process (creating the
 * directory, mode 0700, when missing), by the control socket's lock
 * protocol ({@link InstanceLock}: pid and start time, a stale lock
 * replaced). One daemon per state dir: two daemons on different control
 * sockets would otherwise overwrite each other's `state.json` and delete each
 * other's temp files.
 *
 * Throws {@link StateDirInUseError} when a live daemon holds it, else as
 * `InstanceLock.acquireFor` does (the file system's error, among them
 * `mkdir`'s). Release it with `release()`.
 */
export async function lockStateDir(stateDir: string): Promise<InstanceLock> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  return InstanceLock.acquireFor(join(stateDir, 'state.json'), (pid) => new StateDirInUseError(stateDir, pid));
}

/**
 * Checks what {@link lockStateDir} needs of `stateDir`, creating nothing:
 * when it exists it must be a directory this user can write in (the lock and
 * the state file are created there). A missing one would be created. Rejects
 * with an `Error` saying why not. For `evergreend --check`. Cost: a `stat`
 * and an `access`.
 */
export async function checkStateDir(stateDir: string): Promise<void> {
  const info = await stat(stateDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`Cannot use the state dir "${stateDir}": ${error.message}`, { cause: error });
  });
  if (info === undefined) return;
  if (!info.isDirectory()) throw new Error(`Cannot use the state dir "${stateDir}": it is not a directory`);
  await access(stateDir, constants.W_OK | constants.X_OK).catch((error: Error) => {
    throw new Error(`Cannot use the state dir "${stateDir}": ${error.message}`, { cause: error });
  });
}
