import { createReadStream, fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { isatty, ReadStream, WriteStream } from 'node:tty';
import { SyncFileWriter } from './sync-file-writer.js';

/** A descriptor opened for one direction: the Node stream over it, and the tty stream when it is a terminal. */
export interface DescriptorDuplex {
  duplex: Duplex;
  tty: ReadStream | WriteStream | undefined;
}

/** Descriptors at or below this one are stdio: neither libuv nor Node ever closes them, and neither do we. */
const STDERR_FD = 2;

/**
 * Opens the Node stream Node itself would use for `fd` as stdin (`readable`)
 * or stdout, choosing as `lib/internal/bootstrap/switches/is_main_thread.js`
 * does (`getStdin`, `createWritableStdioStream`): a terminal gets a
 * `tty.ReadStream`/`WriteStream`, a pipe, FIFO or socket a `net.Socket`, and
 * anything else (a regular file, `/dev/null`, …) an `fs` stream.
 *
 * One exception keeps a program whole: libuv allows one handle per
 * descriptor, and Node creates its pipe handle for `process.stdin`/`stdout`/
 * `stderr` lazily, the first time anything (`console.log` included) touches
 * them. A second `net.Socket` on fd 0-2 would make that touch, or our own
 * open, fail with `EEXIST`; so on a pipe or socket, stdio in its own
 * direction is Node's `process.stdin`/`stdout`/`stderr` itself.
 *
 * Errors: `EBADF` (and other `fstat` failures) and Node's
 * `ERR_INVALID_FD_TYPE` (a UDP socket) are thrown.
 * Ownership: a descriptor above 2 is closed with the stream; 0-2 never are.
 */
export function descriptorDuplex(fd: number, readable: boolean): DescriptorDuplex {
  if (isatty(fd)) {
    const tty = readable ? new ReadStream(fd) : openTTYForWriting(fd);
    return { duplex: tty, tty };
  }
  const stat = fstatSync(fd);
  const duplex = stat.isFIFO() || stat.isSocket() ? openSocket(fd, readable) : openFile(fd, readable);
  return { duplex, tty: undefined };
}

function openTTYForWriting(fd: number): WriteStream {
  const tty = new WriteStream(fd);
  // A tty.WriteStream is a net.Socket whose readable side is live: a 'data'
  // listener would start reading the terminal and steal the user's keys.
  // Ending that side first makes it report end of stream instead.
  tty.push(null);
  return tty;
}

function openSocket(fd: number, readable: boolean): Duplex {
  if (fd === 0 && readable) return process.stdin;
  if (fd === 1 && !readable) return process.stdout;
  if (fd === STDERR_FD && !readable) return process.stderr;
  return new Socket({ fd, readable, writable: !readable });
}

function openFile(fd: number, readable: boolean): Duplex {
  const owned = fd > STDERR_FD;
  if (!readable) return new SyncFileWriter(fd, owned);
  // Node ignores the path when `fd` is given.
  return Duplex.from(createReadStream('', { fd, autoClose: owned }));
}
