import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStreamPair, openFifo } from '@evergreen/stream-core/testing';
import { TTYError, TTYStream } from '../src/index.js';

const directory = mkdtempSync(join(tmpdir(), 'evergreen-tty-compliance-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let fifos = 0;

// A TTYStream is one-way and works on any descriptor; over a FIFO it runs
// every topic of the suite that a one-way channel has. Terminal behaviour
// itself is tested under real ptys in tty-under-pty.test.ts.
describeStreamPair({
  name: 'TTYStream over a FIFO',
  errorClass: TTYError,
  twoWay: false,
  async createPair(options = {}) {
    const { readFd, writeFd } = openFifo(join(directory, `fifo${fifos++}`));
    const reader = new TTYStream(readFd, true, options.reader);
    const writer = new TTYStream(writeFd, false, options.writer);
    return {
      reader,
      writer,
      async close() {
        writer.close();
        reader.close();
      },
    };
  },
});
