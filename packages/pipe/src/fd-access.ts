import { constants, fstatSync, readFileSync, writeSync, type Stats } from 'node:fs';

/** Which directions a descriptor was opened for. */
export interface FdAccess {
  readable: boolean;
  writable: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * What kind of descriptor `fd` is and which directions it allows — what a
 * Node stream over it must be told, since libuv refuses to read a
 * write-only descriptor (`ENOTCONN`) or to write a read-only one (`EPIPE`).
 *
 * A socket is read-write. A pipe or FIFO is probed with a zero-length
 * `write()` (the kernel checks the access mode first and sends nothing):
 * `EBADF` means read-only. A writable one is read-write only if Linux's
 * `/proc/self/fdinfo` says `O_RDWR` (a FIFO opened so); elsewhere it is taken
 * as write-only, as pipe ends are (POSIX leaves `O_RDWR` FIFOs undefined).
 *
 * Errors: `TypeError` when `fd` is not a pipe, FIFO or socket (a file, a
 * terminal, …); the Node error of `fstat` (`EBADF`: not open).
 * Cost: `fstat`, for a pipe a zero-length `write` and at most one small
 * `/proc` read.
 */
export function fdAccess(fd: number): FdAccess {
  const stats = fstatSync(fd);
  if (stats.isSocket()) return { readable: true, writable: true };
  if (!stats.isFIFO()) throw new TypeError(`Cannot open fd ${fd}: it is ${kindOf(stats)}, not a pipe, FIFO or socket`);
  if (!acceptsWrites(fd)) return { readable: true, writable: false };
  return { readable: openedReadWrite(fd), writable: true };
}

function acceptsWrites(fd: number): boolean {
  try {
    writeSync(fd, EMPTY);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EBADF';
  }
}

/** Linux: the access mode in `/proc/self/fdinfo/<fd>` (`flags:` in octal). */
function openedReadWrite(fd: number): boolean {
  let info: string;
  try {
    info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
  } catch {
    return false;
  }
  const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
  return flags !== undefined && (parseInt(flags, 8) & ACCESS_MODE_MASK) === constants.O_RDWR;
}

/** `O_ACCMODE`: the bits of the open flags that hold O_RDONLY / O_WRONLY / O_RDWR (Node does not export it). */
const ACCESS_MODE_MASK = 0o3;

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device (for a terminal, use @evergreen/tty)';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a stream';
}
