import { mkdir } from 'node:fs/promises';
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
