import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStreamPair, fifoPairHarness } from '@evergreen/stream-core/testing';
import { TTYError, TTYStream } from '../src/index.js';

const directory = mkdtempSync(join(tmpdir(), 'evergreen-tty-compliance-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// A TTYStream is one-way and works on any descriptor; over a FIFO it runs
// every topic of the suite that a one-way channel has. Terminal behaviour
// itself is tested under real ptys in tty-under-pty.test.ts.
describeStreamPair(fifoPairHarness('TTYStream over a FIFO', TTYError, directory, (fd, readable, options) => new TTYStream(fd, readable, options)));
