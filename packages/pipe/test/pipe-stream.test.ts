import { closeSync, constants, openSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EBADF, EISCONN } from '@evergreen/errno';
import { StreamClosedError } from '@evergreen/stream-core';
import { openFifo, sha256 } from '@evergreen/stream-core/testing';
import { PipeError, PipeStream } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';
import { exited, fixture, readAll, spawnChild } from './child.js';

const directory = temporaryDirectory('pipe-stream');
let fifos = 0;

/** A new FIFO with both ends open. */
function fifoEnds(): { readFd: number; writeFd: number; path: string } {
  const path = directory.path(`fifo${fifos++}`);
  return { ...openFifo(path), path };
}

function adopt(fd: number): PipeStream {
  const stream = new PipeStream();
  stream.open(fd);
  return stream;
}

describe('PipeStream.open over a FIFO', () => {
  it('reads through the read-only end what the write-only end writes, then EOF', async () => {
    const { readFd, writeFd } = fifoEnds();
    const reader = adopt(readFd);
    const writer = adopt(writeFd);
    try {
      const payload = Buffer.alloc(1024 * 1024, 'fifo');
      const received = reader.readUntilClose();
      writer.write('header\n');
      writer.write(payload);
      await writer.shutdown();
      const all = await received;
      expect(all.subarray(0, 7).toString()).toBe('header\n');
      expect(sha256(all.subarray(7))).toBe(sha256(payload));
      expect(reader.closed).toBe(true);
      expect(writer.closed).toBe(true);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('the read-only end refuses writes with a StreamClosedError PipeError and still reads', async () => {
    const { readFd, writeFd } = fifoEnds();
    const reader = adopt(readFd);
    const writer = adopt(writeFd);
    try {
      expect(() => reader.write('x')).toThrow(StreamClosedError);
      expect(() => reader.write('x')).toThrow(/Cannot write: the write side is closed/);
      expect(() => reader.write('x')).toThrow(PipeError);
      writer.write('still readable\n');
      expect((await reader.readUntil('\n')).toString()).toBe('still readable\n');
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('the write-only end reads as end of stream at once and still writes', async () => {
    const { readFd, writeFd } = fifoEnds();
    const reader = adopt(readFd);
    const writer = adopt(writeFd);
    try {
      expect((await writer.readBytes(1)).length).toBe(0);
      expect(writer.closed).toBe(false);
      writer.write('after the empty read\n');
      expect((await reader.readUntil('\n')).toString()).toBe('after the empty read\n');
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('reads what a child process writes into the FIFO until the child exits', async () => {
    const { readFd, writeFd } = fifoEnds();
    const reader = adopt(readFd);
    try {
      using child = spawnChild('sh', ['-c', 'printf "one\\ntwo\\n"'], { stdio: ['ignore', writeFd, 'inherit'] });
      // The child has its own copy: ours must go for the child's exit to be EOF.
      closeSync(writeFd);
      expect((await reader.readUntilClose()).toString()).toBe('one\ntwo\n');
      expect((await exited(child)).code).toBe(0);
    } finally {
      reader.close();
    }
  });
});

if (process.platform === 'linux') {
  describe('PipeStream.open over a FIFO opened read-write (Linux)', () => {
    it('both reads and writes, as Linux allows for O_RDWR FIFOs', async () => {
      const { readFd, writeFd, path } = fifoEnds();
      closeSync(readFd);
      closeSync(writeFd);
      const both = adopt(openSync(path, constants.O_RDWR));
      try {
        both.write('to myself\n');
        expect((await both.readUntil('\n')).toString()).toBe('to myself\n');
      } finally {
        both.close();
      }
    });
  });
} else {
  describe('PipeStream.open over a FIFO opened read-write (not Linux)', () => {
    it('is taken as write-only, as POSIX defines no more', async () => {
      const { readFd, writeFd, path } = fifoEnds();
      closeSync(writeFd);
      const reader = adopt(readFd);
      const both = adopt(openSync(path, constants.O_RDWR));
      try {
        expect((await both.readBytes(1)).length).toBe(0);
        both.write('written\n');
        expect((await reader.readUntil('\n')).toString()).toBe('written\n');
      } finally {
        reader.close();
        both.close();
      }
    });
  });
}

describe('PipeStream.open in a child process', () => {
  it('adopts pipes from a shell pipeline (pipe(2)): reads its stdin, writes its stdout, sees EOF', async () => {
    // cat | node adopt-fds.mjs 0 1 | cat: the fixture's stdin and stdout are
    // pipes made by the shell; ours to the cats are Node's (socketpairs).
    using child = spawnChild('sh', ['-c', 'cat | "$0" "$1" 0 1 | cat', process.execPath, fixture('adopt-fds.mjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const output = readAll(child.stdout!);
    child.stdin!.end('hello\npipes\n');
    expect(await output).toBe('fd 0: fifo\nfd 1: fifo\nHELLO\nPIPES\neof\n');
    expect((await exited(child)).code).toBe(0);
  });

  it('adopts one end of a socketpair (a child stdio "pipe" on Unix): both directions and half-close', async () => {
    using child = spawnChild(process.execPath, [fixture('adopt-fds.mjs'), '3', '3'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
    const ours = child.stdio[3] as Socket;
    const output = readAll(ours);
    ours.write('one end\n');
    ours.end('of a socketpair\n');
    expect(await output).toBe('fd 3: socket\nONE END\nOF A SOCKETPAIR\neof\n');
    expect((await exited(child)).code).toBe(0);
  });
});

describe('PipeStream.open errors', () => {
  it('rejects a descriptor that is not a pipe, FIFO or socket with a TypeError', () => {
    const path = directory.path('regular');
    writeFileSync(path, 'data');
    const fd = openSync(path, 'r');
    try {
      expect(() => new PipeStream().open(fd)).toThrow(/is a regular file, not a pipe, FIFO or socket/);
      expect(() => new PipeStream().open(fd)).toThrow(TypeError);
    } finally {
      closeSync(fd);
    }
  });

  it('rejects a descriptor that is not open with a PipeError EBADF', () => {
    // Far above any descriptor this process has open.
    const error = (() => {
      try {
        new PipeStream().open(1_000_000);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PipeError);
    expect(error).toMatchObject({ code: 'EBADF', errno: EBADF });
    expect((error as Error).cause).toMatchObject({ code: 'EBADF' });
  });

  it('rejects a malformed fd: TypeError for a non-integer, RangeError for a negative one', () => {
    expect(() => new PipeStream().open(1.5)).toThrow(TypeError);
    expect(() => new PipeStream().open(-1)).toThrow(RangeError);
  });

  it('refuses a second descriptor (EISCONN) and any after close (StreamClosedError)', () => {
    const { readFd, writeFd } = fifoEnds();
    const stream = adopt(readFd);
    try {
      const message = `Cannot open fd ${writeFd}: the stream has a descriptor already`;
      expect(() => stream.open(writeFd)).toThrow(PipeError);
      expect(() => stream.open(writeFd)).toThrow(expect.objectContaining({ code: 'EISCONN', errno: EISCONN, message }));
      stream.close();
      expect(() => stream.open(writeFd)).toThrow(StreamClosedError);
    } finally {
      stream.close();
      closeSync(writeFd);
    }
  });
});
