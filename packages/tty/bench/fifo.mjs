// A FIFO opened at both ends in this process, the way a shell pipeline hands
// a program its stdin.
import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const directory = mkdtempSync(join(tmpdir(), 'evergreen-tty-bench-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));
let count = 0;

/** A new FIFO's reading and writing descriptors (non-blocking opens). */
export function fifo() {
  const path = join(directory, `fifo-${count++}`);
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return { readFd, writeFd: openSync(path, constants.O_WRONLY | constants.O_NONBLOCK) };
}
