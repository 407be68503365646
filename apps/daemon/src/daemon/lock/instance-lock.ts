import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { processStartTime } from './process-start-time.js';

/** Another daemon holds the control socket's lock: `pid` is its process. */
export class AlreadyRunningError extends Error {
  readonly pid: number;

  constructor(socket: string, pid: number) {
    super(`Cannot start evergreend on "${socket}": already running (pid ${pid})`);
    this.name = 'AlreadyRunningError';
    this.pid = pid;
  }
}

/** How long the lock is tried (5 s) before giving up while other daemons keep taking turns at it. */
const LOCK_TIMEOUT_MS = 5_000;

/** How long to wait (5 ms) before looking again while another daemon is replacing a stale lock. */
const BREAK_WAIT_MS = 5;

/** Age (1 s) past which a break file is stale whoever it names: a live holder keeps it a few milliseconds. */
const BREAK_STALE_MS = 1_000;

/** The process a lock or break file names: its pid, and its start time when the file records one (see `processStartTime`). */
interface Holder {
  pid: number;
  startTime: string | undefined;
}

/** What a lock or break file says: who holds it, `'missing'` when there is no file, `'unreadable'` when it names no pid. */
type Owner = Holder | 'missing' | 'unreadable';

/**
 * One daemon per control socket: `<socket>.lock` holds the owner's pid and,
 * where `/proc` tells it, the owner's start time (`<pid> <starttime>`). It
 * is taken *before* the socket is probed, so a live daemon too busy to
 * answer a probe is never taken for a dead one. The lock is created whole
 * (written to a temp file, then hard-linked into place, which fails if it
 * exists); a lock whose pid is no longer alive is stale and replaced, and so
 * is one whose pid is alive but started at another time than the lock says
 * (the dead owner's pid was given to another process). A lock with a pid
 * alone (written by an older daemon, or where `/proc` is missing) is judged
 * by the pid alone.
 * Only the holder of `<socket>.lock.break` (created the same way) checks
 * and deletes a stale lock, and only a lock file that names a dead process
 * (or no pid at all): a missing one may be created again by anyone at any
 * moment, so the holder then deletes nothing and tries to link again.
 * Daemons racing to replace one stale lock thus cannot both win. The race
 * left needs a daemon killed while it holds the break file and two others
 * reclaiming that file within the same milliseconds.
 *
 * The same lock guards other files one daemon alone may use (its state
 * dir): {@link acquireFor}.
 *
 * Throws {@link AlreadyRunningError} when a live process holds it, an
 * `Error` naming the lock when it cannot be taken within 5 s (other
 * daemons keep taking turns, or a break file is held that long), or the
 * file system's error. Release it with `release()` on the way out; a daemon
 * killed without releasing leaves a stale lock for the next one to replace.
 */
export class InstanceLock {
  readonly path: string;
  readonly #heldBy: (pid: number) => Error;
  #held = false;

  private constructor(file: string, heldBy: (pid: number) => Error) {
    this.path = `${file}.lock`;
    this.#heldBy = heldBy;
  }

  /** Takes `<socket>.lock` for this process; throws as the class says ({@link AlreadyRunningError} when a live daemon holds it). */
  static acquire(socket: string): Promise<InstanceLock> {
    return InstanceLock.acquireFor(socket, (pid) => new AlreadyRunningError(socket, pid));
  }

  /**
   * Takes `<file>.lock` for this process, by the same protocol (its break
   * file is `<file>.lock.break`); the directory must exist. Throws
   * `heldBy(pid)` when a live process holds it, else as the class says.
   */
  static async acquireFor(file: string, heldBy: (pid: number) => Error): Promise<InstanceLock> {
    const lock = new InstanceLock(file, heldBy);
    await lock.#acquire();
    return lock;
  }

  async #acquire(): Promise<void> {
    const temp = `${this.path}.${process.pid}`;
    const startTime = await processStartTime(process.pid);
    await writeFile(temp, startTime === undefined ? `${process.pid}\n` : `${process.pid} ${startTime}\n`, { mode: 0o600 });
    try {
      for (const deadline = Date.now() + LOCK_TIMEOUT_MS; Date.now() < deadline; ) {
        if (await created(temp, this.path)) {
          this.#held = true;
          return;
        }
        const owner = await readOwner(this.path);
        const live = await liveOther(owner);
        if (live !== undefined) throw this.#heldBy(live.pid);
        if (owner !== 'missing') await this.#breakStale(temp);
      }
      throw new Error(`Cannot lock "${this.path}": it was not free, stale or held by a live daemon within ${LOCK_TIMEOUT_MS} ms (see "${this.path}.break")`);
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /**
   * Deletes the lock file if it (still) names a dead process or no pid (a
   * pid now another process's counts as dead),
   * holding the break file meanwhile; waits a moment instead when another
   * daemon holds that. A break file that names a dead process, or is older
   * than `BREAK_STALE_MS`, is stale and deleted.
   */
  async #breakStale(temp: string): Promise<void> {
    const breaker = `${this.path}.break`;
    if (!(await created(temp, breaker))) {
      if (await isStaleBreak(breaker)) await unlink(breaker).catch(() => {});
      else await sleep(BREAK_WAIT_MS);
      return;
    }
    try {
      const owner = await readOwner(this.path);
      if (owner !== 'missing' && (await liveOther(owner)) === undefined) await unlink(this.path).catch(() => {});
    } finally {
      await unlink(breaker).catch(() => {});
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    // On the way out: a lock file that cannot be read is left alone, not thrown about.
    const owner = await readOwner(this.path).catch(() => 'unreadable' as const);
    if (typeof owner === 'object' && owner.pid === process.pid) await unlink(this.path).catch(() => {});
  }
}

/**
 * The pid of the live process (not this one) that holds `<file>.lock`, if
 * any, judged as a daemon taking the lock judges it: what tells a client
 * that a daemon is starting (its lock taken, its socket not up yet) from no
 * daemon at all. Never rejects (an unreadable lock is no holder). Cost: a
 * file read or two.
 */
export async function lockHolder(file: string): Promise<number | undefined> {
  try {
    return (await liveOther(await readOwner(`${file}.lock`)))?.pid;
  } catch {
    return undefined;
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

/** Whether the break file `path` is stale: it names a dead process or no pid, or is older than `BREAK_STALE_MS`. Gone: not stale (look again). */
async function isStaleBreak(path: string): Promise<boolean> {
  const [owner, age] = await Promise.all([readOwner(path), stat(path).then((info) => Date.now() - info.mtimeMs, () => undefined)]);
  if (owner === 'missing' || age === undefined) return false;
  return (await liveOther(owner)) === undefined || age > BREAK_STALE_MS;
}

/**
 * `owner` when it is a live process other than this one (a file naming this
 * process is left by an earlier one that had its pid), else undefined. Live:
 * its pid is alive and, when the file records a start time and `/proc` gives
 * one now, the two match. Never rejects.
 */
async function liveOther(owner: Owner): Promise<Holder | undefined> {
  if (typeof owner !== 'object' || owner.pid === process.pid || !isAlive(owner.pid)) return undefined;
  if (owner.startTime === undefined) return owner;
  const startTime = await processStartTime(owner.pid);
  return startTime === undefined || startTime === owner.startTime ? owner : undefined;
}

/** Who the file at `path` names (see {@link Owner}): `<pid>` or `<pid> <starttime>`; other read errors throw. */
async function readOwner(path: string): Promise<Owner> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return 'unreadable';
  return { pid, startTime: startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined };
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
