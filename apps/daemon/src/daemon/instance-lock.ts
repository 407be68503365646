import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Another daemon holds the lock: `pid` is its process. */
export class AlreadyRunningError extends Error {
  readonly pid: number;

  constructor(socket: string, pid: number) {
    super(`Cannot start evergreend on "${socket}": already running (pid ${pid})`);
    this.name = 'AlreadyRunningError';
    this.pid = pid;
  }
}

/** How many times the lock is tried before giving up (other daemons keep winning the race). */
const MAX_ATTEMPTS = 20;

/** How long to wait (5 ms) while another daemon is replacing a stale lock. */
const BREAK_WAIT_MS = 5;

/**
 * One daemon per control socket: `<socket>.lock` holds the owner's pid. It
 * is taken *before* the socket is probed, so a live daemon too busy to
 * answer a probe is never taken for a dead one. The lock is created whole
 * (written to a temp file, then hard-linked into place, which fails if it
 * exists); a lock whose pid is no longer alive is stale and replaced.
 * Only the holder of `<socket>.lock.break` (created the same way) checks
 * and deletes a stale lock, so daemons racing to replace one cannot both
 * win: while it is held, the lock file can only be deleted by its holder.
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
        if (await created(temp, this.path)) {
          this.#held = true;
          return;
        }
        const owner = await readOwner(this.path);
        if (isOtherLive(owner)) throw new AlreadyRunningError(this.#socket, owner);
        await this.#breakStale(temp);
      }
      throw new Error(`Cannot lock "${this.path}": another daemon keeps taking it`);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /**
   * Deletes the lock file if it is (still) stale, holding the break file
   * meanwhile; waits a moment instead when another daemon holds that (or
   * has just let it go). A break file naming a dead daemon is deleted: it
   * was killed inside these few steps.
   */
  async #breakStale(temp: string): Promise<void> {
    const breaker = `${this.path}.break`;
    if (!(await created(temp, breaker))) {
      const holder = await readOwner(breaker);
      // Gone since (undefined) or held: look again. Deleting a break file that
      // vanished could delete the next daemon's.
      if (holder === undefined || isOtherLive(holder)) await sleep(BREAK_WAIT_MS);
      else await unlink(breaker).catch(() => {});
      return;
    }
    try {
      if (!isOtherLive(await readOwner(this.path))) await unlink(this.path).catch(() => {});
    } finally {
      await unlink(breaker).catch(() => {});
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    if ((await readOwner(this.path)) === process.pid) await unlink(this.path).catch(() => {});
  }
}

/** Hard-links `temp` to `path`: true when that created it, false when `path` exists; other errors throw. */
async function created(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Whether `pid` is a live process other than this one (a file naming this process is left by an earlier one that had its pid). */
function isOtherLive(pid: number | undefined): pid is number {
  return pid !== undefined && pid !== process.pid && isAlive(pid);
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
