import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EBADF, ENOTTY } from '@evergreen/errno';
import { StreamClosedError, StreamError } from '@evergreen/stream-core';
import { openFifo, sha256, until } from '@evergreen/stream-core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { TTYError, TTYStream } from '../src/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const directory = mkdtempSync(join(tmpdir(), 'evergreen-tty-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let names = 0;

/** A new FIFO, opened at both ends (each TTYStream made over them closes its end). */
function fifo(): { readFd: number; writeFd: number } {
  return openFifo(join(directory, `fifo-${names++}`));
}

/** Resolves what `action` throws (fails if it does not). */
function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('TTYStream over a FIFO', () => {
  it("reads what the writer sends, and the writer's shutdown() is the reader's end of stream", async () => {
    const { readFd, writeFd } = fifo();
    await using reader = new TTYStream(readFd, true);
    await using writer = new TTYStream(writeFd, false);
    expect([reader.isTTY, writer.isTTY, reader.fd, writer.fd]).toEqual([false, false, readFd, writeFd]);
    writer.write('one\ntw');
    writer.write('o\n');
    expect((await reader.readUntil('\n')).toString()).toBe('one\n');
    await writer.shutdown();
    expect(writer.closed).toBe(true);
    expect((await reader.readUntil('\n')).toString()).toBe('two\n');
    expect((await reader.readUntil('\n')).length).toBe(0);
    expect(reader.closed).toBe(true);
  });

  it('is one-way: a reading stream refuses writes, a writing stream reads end of stream', async () => {
    const { readFd, writeFd } = fifo();
    await using reader = new TTYStream(readFd, true);
    await using writer = new TTYStream(writeFd, false);
    const error = thrown(() => reader.write('x'));
    expect(error).toBeInstanceOf(TTYError);
    expect(error).toBeInstanceOf(StreamClosedError);
    expect((await writer.readBytes(10)).length).toBe(0);
  });

  it('winsize, setRawMode and resizes() throw TTYError ENOTTY, with the errno Node uses', async () => {
    const { readFd, writeFd } = fifo();
    await using reader = new TTYStream(readFd, true);
    await using writer = new TTYStream(writeFd, false);
    const cases: [() => unknown, string][] = [
      [() => reader.winsize, `Cannot read the window size: fd ${readFd} is not a terminal`],
      [() => writer.setRawMode(true), `Cannot enter raw mode: fd ${writeFd} is not a terminal`],
      [() => reader.resizes(), `Cannot read the window size: fd ${readFd} is not a terminal`],
    ];
    for (const [action, message] of cases) {
      const error = thrown(action);
      expect(error).toBeInstanceOf(TTYError);
      expect(error).toBeInstanceOf(StreamError);
      expect(error).toMatchObject({ code: 'ENOTTY', errno: ENOTTY, message });
    }
    expect(reader.isRaw).toBe(false);
  });

  it('close() rejects pending reads with StreamClosedError of TTYError and closes a descriptor above 2', async () => {
    const { readFd, writeFd } = fifo();
    const reader = new TTYStream(readFd, true);
    const writer = new TTYStream(writeFd, false);
    const pending = reader.readUntil('\n');
    reader.close();
    writer.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamClosedError);
    expect(error).toBeInstanceOf(TTYError);
    for (const fd of [readFd, writeFd]) expect(() => fstatSync(fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  it('a reader that does not read pauses the writer: memory stays bounded, nothing is lost', async () => {
    const { readFd, writeFd } = fifo();
    const highWaterMark = 64 * KiB;
    await using reader = new TTYStream(readFd, true, { highWaterMark });
    await using writer = new TTYStream(writeFd, false);
    const payload = Buffer.alloc(8 * MiB);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
    expect(writer.write(payload)).toBe(false);
    let seen = -1;
    await until(() => {
      const stable = reader.readableLength === seen && reader.readableLength > 0;
      seen = reader.readableLength;
      return stable;
    }, 'the reader to stop taking bytes');
    expect(reader.readableLength).toBeLessThanOrEqual(highWaterMark + MiB);
    const received = reader.readUntilClose({ maxBytes: payload.length });
    await writer.shutdown();
    expect(sha256(await received)).toBe(sha256(payload));
  });
});

describe('TTYStream over a regular file', () => {
  it('writes synchronously (write() is true: the OS has the bytes) and reads the file back', async () => {
    const path = join(directory, `file-${names++}`);
    const payload = Buffer.alloc(3 * MiB, 'evergreen\n');
    await using writer = new TTYStream(openSync(path, 'w'), false);
    expect(writer.write('head\n')).toBe(true);
    expect(writer.write(payload)).toBe(true);
    expect(readFileSync(path).length).toBe(payload.length + 5);
    await writer.shutdown();
    await using reader = new TTYStream(openSync(path, 'r'), true, { highWaterMark: 64 * KiB });
    expect((await reader.readUntil('\n')).toString()).toBe('head\n');
    expect(sha256(await reader.readUntilClose())).toBe(sha256(payload));
  });
});

describe('TTYStream arguments', () => {
  it('rejects a malformed descriptor or direction with TypeError / RangeError', () => {
    expect(() => new TTYStream(1.5, true)).toThrow(TypeError);
    expect(() => new TTYStream(Number.NaN, true)).toThrow(TypeError);
    expect(() => new TTYStream(-1, true)).toThrow(RangeError);
    expect(() => new TTYStream(0, 'yes' as unknown as boolean)).toThrow(TypeError);
  });

  it('a descriptor that is not open is TTYError EBADF, with the Node error as cause', () => {
    const fd = openSync(join(directory, `closed-${names++}`), 'w');
    closeSync(fd);
    const error = thrown(() => new TTYStream(fd, true));
    expect(error).toBeInstanceOf(TTYError);
    expect(error).toMatchObject({ code: 'EBADF', errno: EBADF, cause: expect.objectContaining({ code: 'EBADF' }) });
  });
});
