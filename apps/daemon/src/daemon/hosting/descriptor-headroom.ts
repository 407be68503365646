import { readFileSync } from 'node:fs';

/** Descriptors kept free for the daemon's own needs — control connections, forward upstreams, state writes — at most a quarter of the limit. */
export const RESERVED_DESCRIPTORS = 32;

/** `Max open files  <soft>  <hard>  files` in /proc/self/limits. */
const OPEN_FILES = /^Max open files\s+(\d+|unlimited)\s/m;

/**
 * The process's soft limit on open files (`ulimit -n`, RLIMIT_NOFILE), read
 * from /proc/self/limits: Node has no `getrlimit`. Undefined where there is
 * no /proc (macOS, the BSDs: `ulimit -n` in the shell that starts the daemon
 * tells it) or when it is unlimited. Cost: one small file read.
 */
export function openFileLimit(): number | undefined {
  let limits: string;
  try {
    limits = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const soft = OPEN_FILES.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
}

/**
 * Tells when the process is about to run out of file descriptors, from the
 * descriptor of a connection just accepted: Unix hands out the lowest free
 * one, so a connection numbered `fd` means at least `fd` others are open.
 *
 * Why: at the limit, libuv accepts and closes every waiting connection
 * itself (with a descriptor it keeps in reserve for that) and tells Node
 * nothing, so those clients would vanish uncounted; and the control socket
 * and forward upstreams would fail too. Refusing while a reserve is still
 * free keeps every connection counted and `evergreenctl` working.
 * Where the limit cannot be read, nothing is ever refused.
 * Cost: a comparison per connection; the limit is read again only when a
 * descriptor reaches the reserve (it may have been raised since: `prlimit`).
 */
export class DescriptorHeadroom {
  #limit: number | undefined = openFileLimit();

  /** The soft limit on open files as last read (undefined: unknown or unlimited). */
  get limit(): number | undefined {
    return this.#limit;
  }

  /** Whether a connection holding descriptor `fd` leaves fewer than the reserve free (false for -1: no descriptor). */
  exhausted(fd: number): boolean {
    if (fd < 0 || !this.#reached(fd)) return false;
    this.#limit = openFileLimit();
    return this.#reached(fd);
  }

  #reached(fd: number): boolean {
    const limit = this.#limit;
    return limit !== undefined && fd >= limit - Math.min(RESERVED_DESCRIPTORS, Math.floor(limit / 4));
  }
}

/** The daemon's one headroom: the limit is the process's, shared by every server. */
export const descriptorHeadroom = new DescriptorHeadroom();
