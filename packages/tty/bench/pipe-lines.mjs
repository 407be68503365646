// Reading LINES 40-byte lines from a pipe (a program's stdin in a shell
// pipeline): TTYStream#records against the raw-Node way, readline over a
// net.Socket on the descriptor. The same raw writer feeds both.
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { TTYStream } from '@evergreen/tty';
import { compare } from '../../../bench/runner.mjs';
import { fifo } from './fifo.mjs';

const LINES = 500_000;
const BATCH_LINES = 2_000;
const batch = Buffer.from(`${'x'.repeat(39)}\n`.repeat(BATCH_LINES));

/** Writes LINES lines into `fd` with backpressure, then closes it. */
async function write(fd) {
  const socket = new Socket({ fd, readable: false, writable: true });
  for (let sent = 0; sent < LINES; sent += BATCH_LINES) {
    if (!socket.write(batch)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise((resolve) => socket.end(resolve));
}

async function baseline() {
  const { readFd, writeFd } = fifo();
  const writing = write(writeFd);
  let lines = 0;
  for await (const line of createInterface({ input: new Socket({ fd: readFd, readable: true, writable: false }) })) {
    if (line.length > 0) lines++;
  }
  await writing;
  return lines;
}

async function ours() {
  const { readFd, writeFd } = fifo();
  const writing = write(writeFd);
  const stream = new TTYStream(readFd, true);
  let lines = 0;
  for await (const records of stream.records('\n')) lines += records.length;
  await writing;
  return lines;
}

export async function run() {
  return [await compare({ name: 'pipe lines: TTYStream#records vs readline', unit: 'lines', rounds: 5, target: 1.0, ours, baseline })];
}
