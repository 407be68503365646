import { link, readFile, unlink, writeFile } from 'node:fs/promises';

/** Another daemon holds the lock: `pid` is its process. */
export class AlreadyRunningError extends Error {
  readonly pid: number;

  constructor(socket: string, pid: number) {
    super(`Cannot start evergreend on "${socket}": already running (pid ${pid})`);
    this.name = 'AlreadyRunningError';
    this.pid = pid;
  }
}

/** How many times a stale lock is replaced before giving up (another daemon keeps winning the race). */
const MAX_ATTEMPTS = 5;

/**
 * One daemon per control socket: `<socket>.lock` holds the owner's pid. It
 * is taken *before* the socket is probed, so a live daemon too busy to
 * answer a probe is never taken for a dead one. The lock is created whole
 * (written to a temp file, then hard-linked into place, which fails if it
 * exists); a lock whose pid is no longer alive is stale and replaced.
 *
 * Throws {@link AlreadyRunningError} when a live process holds it, or the
 * file system's error. Release it with `release()` on the way out; a daemon
 * killed without releasing leaves a stale lock for the next one to replace.
 */
export class InstanceLock {
  readonly path: string;
  readonly #socket: string;
  #held = false;

  private constructor(socket: string) {
    this.#socket = socket;
    this.path = `${socket}.lock`;
  }

  static async acquire(socket: string): Promise<InstanceLock> {
    const lock = new InstanceLock(socket);
    await lock.#acquire();
    return lock;
  }

  async #acquire(): Promise<void> {
    const temp = `${this.path}.${process.pid}`;
    await writeFile(temp, `${process.pid}\n`, { mode: 0o600 });
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        try {
          await link(temp, this.path);
          this.#held = true;
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const owner = await readOwner(this.path);
        if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new AlreadyRunningError(this.#socket, owner);
        await unlink(this.path).catch(() => {});
      }
      throw new Error(`Cannot lock "${this.path}": another daemon keeps taking it`);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    if ((await readOwner(this.path)) === process.pid) await unlink(this.path).catch(() => {});
  }
}

async function readOwner(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this pid exists (signal 0 checks without sending; EPERM means it exists but is not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
