import { PassedSocket } from './passed-socket.js';
import { socketKind } from './socket-kind.js';

const ACTIVATION_URI = /^(sd|fd):\/\/(.*)$/i;

/**
 * The sockets passed in by systemd, found by listen URI: `sd://NAME` is the
 * one whose `LISTEN_FDNAMES` entry is NAME (a .socket unit's
 * `FileDescriptorName=`, the unit's name by default), `fd://N` descriptor N.
 * Each is inspected (`socketKind`) and adopted once, and the same
 * {@link PassedSocket} is given to every server naming it.
 *
 * Errors: `find` throws `TypeError` naming the URI when nothing by that
 * name or number was passed in, when a name was given to several
 * descriptors, and as `socketKind` does. Cost: a map lookup after the first.
 */
export class PassedSockets {
  readonly #names: ReadonlyMap<number, string>;
  readonly #proc: string;
  readonly #found = new Map<number, PassedSocket>();

  /** `names`: the passed descriptors and their names (`takeListenFds`); `proc`: where procfs is mounted. */
  constructor(names: ReadonlyMap<number, string> = new Map(), proc = '/proc') {
    this.#names = names;
    this.#proc = proc;
  }

  /** The passed socket `uri` names, or undefined for a URI of another scheme (one a transport serves). */
  find(uri: string): PassedSocket | undefined {
    const match = ACTIVATION_URI.exec(uri);
    if (match === null) return undefined;
    const fd = match[1]!.toLowerCase() === 'sd' ? this.#byName(uri, match[2]!) : this.#byNumber(uri, match[2]!);
    let found = this.#found.get(fd);
    if (found === undefined) {
      found = new PassedSocket(fd, uri, socketKind(fd, this.#proc));
      this.#found.set(fd, found);
    }
    return found;
  }

  #byName(uri: string, name: string): number {
    const fds = [...this.#names].filter(([, each]) => each === name).map(([fd]) => fd);
    if (fds.length === 1) return fds[0]!;
    if (fds.length === 0) throw new TypeError(`Cannot use "${uri}": no socket named "${name}" was passed in (${this.#passed()})`);
    throw new TypeError(`Cannot use "${uri}": ${fds.length} sockets are named "${name}" (fd ${fds.join(', ')}): give each its own FileDescriptorName=, or use fd://${fds[0]}`);
  }

  #byNumber(uri: string, text: string): number {
    const fd = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
    if (Number.isNaN(fd)) throw new TypeError(`Cannot use "${uri}": expected a descriptor number like "fd://3"`);
    if (!this.#names.has(fd)) throw new TypeError(`Cannot use "${uri}": fd ${fd} was not passed in (${this.#passed()})`);
    return fd;
  }

  #passed(): string {
    if (this.#names.size === 0) return 'none were: LISTEN_FDS is unset, or meant for another process';
    return `passed: ${[...this.#names].map(([fd, name]) => `fd ${fd} "${name}"`).join(', ')}`;
  }
}
