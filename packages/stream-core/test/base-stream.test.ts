import { describe, expect, it } from 'vitest';
import { ECONNRESET } from '@evergreen/errno';
import { IncompleteReadError, LimitExceededError, StreamClosedError, StreamError } from '../src/index.js';
import { MemoryStream } from './memory-stream.js';

function resetError(): NodeJS.ErrnoException {
  return Object.assign(new Error('read ECONNRESET'), { errno: ECONNRESET, code: 'ECONNRESET', syscall: 'read' });
}

describe('BaseStream', () => {
  it('pauses the transport at highWaterMark and resumes once reads drain it below half', async () => {
    const stream = new MemoryStream({ highWaterMark: 10 });
    stream.feed('01234');
    expect(stream.paused).toBe(false);
    stream.feed('56789');
    expect(stream.paused).toBe(true);
    expect((await stream.readBytes(4)).toString()).toBe('0123');
    expect(stream.paused).toBe(true);
    expect((await stream.readBytes(2)).toString()).toBe('45');
    expect(stream.paused).toBe(false);
  });

  it('a pending read resumes a paused transport until it is satisfied', async () => {
    const stream = new MemoryStream({ highWaterMark: 4 });
    stream.feed('aaaa');
    expect(stream.paused).toBe(true);
    const line = stream.readUntil('\n');
    expect(stream.paused).toBe(false);
    stream.feed('bbbb');
    expect(stream.paused).toBe(false);
    stream.feed('\n');
    expect((await line).toString()).toBe('aaaabbbb\n');
  });

  it('lends no memory of its own for the next OS read before its first read, even while bytes flow; after a readBytes it does', async () => {
    const stream = new MemoryStream();
    const shared = Buffer.alloc(64 * 1024);
    // A stream not read yet may stay idle for ever: memory lent now would be held all that time.
    expect(stream.nextReadMemory(shared, true) === shared).toBe(true);
    stream.feed('x');
    expect((await stream.readBytes(1, { partial: true })).toString()).toBe('x');
    // A bulk reader of chunks: while bytes flow the OS reads into the stream's own memory, never copied.
    expect(stream.nextReadMemory(shared, true) === shared).toBe(false);
  });

  it('has the OS read into its own memory while bytes flow to a records() or for-await reader, as for readUntil: their records are views, never copies', async () => {
    const shared = Buffer.alloc(64 * 1024);
    const lines = new MemoryStream();
    const batches = lines.records('\n')[Symbol.asyncIterator]();
    const batch = batches.next();
    lines.feed('a\nb\n');
    expect((await batch).value?.map(String)).toEqual(['a\n', 'b\n']);
    // Between two batches no read waits: the next one expected is records' again.
    expect(lines.nextReadMemory(shared, true) === shared).toBe(false);
    const chunks = new MemoryStream();
    const chunk = chunks[Symbol.asyncIterator]().next();
    chunks.feed('c');
    expect(String((await chunk).value)).toBe('c');
    expect(chunks.nextReadMemory(shared, true) === shared).toBe(false);
  });

  it('a read needing more than maxBufferSize rejects at once, consuming nothing', async () => {
    const stream = new MemoryStream({ maxBufferSize: 8 });
    stream.feed('abc');
    await expect(stream.readBytes(9)).rejects.toBeInstanceOf(LimitExceededError);
    stream.feed('defghij');
    await expect(stream.readUntil('\n')).rejects.toMatchObject({ name: 'LimitExceededError', limit: 8 });
    expect((await stream.readBytes(8)).toString()).toBe('abcdefgh');
  });

  it('a transport error lets the buffered bytes be read, then rejects with errno and code', async () => {
    const stream = new MemoryStream();
    stream.feed('last words\n');
    stream.fail(resetError());
    expect(stream.closed).toBe(true);
    expect((await stream.readUntil('\n')).toString()).toBe('last words\n');
    const error = (await stream.readBytes(1).catch((e: unknown) => e)) as StreamError;
    expect(error).toBeInstanceOf(StreamError);
    expect(error.errno).toBe(ECONNRESET);
    expect(error.code).toBe('ECONNRESET');
    expect((error.cause as Error).message).toBe('read ECONNRESET');
    expect(() => stream.write('x')).toThrow(StreamClosedError);
    expect(stream.failure).toBe(error);
  });

  it('has no failure while open, after a clean end, or after close() and reset()', () => {
    const ended = new MemoryStream();
    ended.end();
    const closed = new MemoryStream();
    closed.close();
    const reset = new MemoryStream();
    reset.reset();
    expect([new MemoryStream(), ended, closed, reset].map((stream) => stream.failure)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('a transport error rejects a pending read that is waiting for more', async () => {
    const stream = new MemoryStream();
    const pending = stream.readUntil('\n');
    stream.feed('partial');
    stream.fail(resetError());
    await expect(pending).rejects.toBeInstanceOf(StreamError);
    await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('readBytes with partial hands out at most one received chunk, without copying', async () => {
    const stream = new MemoryStream();
    const first = Buffer.from('abc');
    stream.feed(first);
    stream.feed('def');
    const head = await stream.readBytes(10, { partial: true });
    expect(head).toBe(first);
    expect((await stream.readBytes(2, { partial: true })).toString()).toBe('de');
    stream.end();
    expect((await stream.readBytes(10)).toString()).toBe('f');
  });

  it('readUntilClose with maxBytes rejects once more is buffered', async () => {
    const stream = new MemoryStream();
    const all = stream.readUntilClose({ maxBytes: 4 });
    stream.feed('abcde');
    await expect(all).rejects.toBeInstanceOf(LimitExceededError);
  });

  it('the async iterator yields chunks as they arrived until EOF', async () => {
    const stream = new MemoryStream();
    stream.feed('one');
    stream.feed('two');
    stream.end();
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk.toString());
    expect(chunks).toEqual(['one', 'two']);
  });

  it('await using closes the stream', async () => {
    const outer = new MemoryStream();
    {
      await using stream = outer;
      stream.feed('x');
    }
    expect(outer.closed).toBe(true);
    expect(outer.destroyed).toBe(true);
    await expect(outer.readBytes(1)).rejects.toBeInstanceOf(StreamClosedError);
  });

  it('reports bad arguments of promise-returning reads as rejections, never synchronous throws', async () => {
    const stream = new MemoryStream();
    const calls: [() => Promise<unknown>, ErrorConstructor][] = [
      [() => stream.readUntil(''), TypeError],
      [() => stream.readUntil(42 as unknown as string), TypeError],
      [() => stream.readUntil('\n', { maxBytes: 0 }), RangeError],
      [() => stream.readBytes(-1), RangeError],
      [() => stream.readBytes(1.5), RangeError],
      [() => stream.readBytes('3' as unknown as number), TypeError],
      [() => stream.readUntil('\n', { maxBytes: 'x' as unknown as number }), TypeError],
      [() => stream.readInto('x' as unknown as Uint8Array), TypeError],
      [() => stream.readUntilRegex('x' as unknown as RegExp), TypeError],
      [() => stream.readUntilRegex(/x/, { maxBytes: -1 }), RangeError],
      [() => stream.readUntilClose({ maxBytes: 0.5 }), RangeError],
      [() => stream.records('').next(), TypeError],
    ];
    for (const [call, kind] of calls) {
      let promise: Promise<unknown> | undefined;
      expect(() => (promise = call())).not.toThrow();
      await expect(promise).rejects.toBeInstanceOf(kind);
    }
  });

  it('throws bad arguments of synchronous methods and constructors', () => {
    const stream = new MemoryStream();
    expect(() => stream.write(42 as unknown as string)).toThrow(TypeError);
    expect(() => new MemoryStream({ highWaterMark: -5 })).toThrow(RangeError);
    expect(() => new MemoryStream({ maxBufferSize: '1024' as unknown as number })).toThrow(TypeError);
    expect(() => new MemoryStream({ coalesceBytes: -1 })).toThrow(RangeError);
    expect(() => new MemoryStream({ coalesceBytes: Infinity })).toThrow(RangeError);
    expect(() => new MemoryStream({ coalesceBytes: '16' as unknown as number })).toThrow(TypeError);
  });

  it('IncompleteReadError consumes the partial record: nothing is read twice', async () => {
    const stream = new MemoryStream();
    stream.feed('abc');
    stream.end();
    const error = (await stream.readUntil('\n').catch((e: unknown) => e)) as IncompleteReadError;
    expect(error.partial.toString()).toBe('abc');
    expect((await stream.readUntilClose()).length).toBe(0);
  });

  describe('write coalescing', () => {
    const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

    it('sends the first small write of a turn at once when nothing is unread, and holds the next ones', async () => {
      const stream = new MemoryStream();
      stream.write('lone reply\n');
      expect(stream.written).toEqual(['lone reply\n']);
      stream.write('then ');
      stream.write('more\n');
      expect(stream.written.length).toBe(1);
      await turnEnd();
      expect(stream.written.map((chunk) => Buffer.from(chunk).toString())).toEqual(['lone reply\n', 'then more\n']);
    });

    it('takes bytes arriving as a new turn: each reply of a request/response exchange goes at once', async () => {
      const stream = new MemoryStream();
      for (let i = 0; i < 3; i++) {
        stream.feed(`${i}\n`);
        stream.write(await stream.readUntil('\n'));
      }
      expect(stream.written.map((chunk) => Buffer.from(chunk).toString())).toEqual(['0\n', '1\n', '2\n']);
    });

    it('hands the small writes of one turn, awaits included, to the transport as one chunk at its end', async () => {
      const stream = new MemoryStream();
      stream.feed('a request still unread');
      stream.write('GET ');
      await Promise.resolve();
      stream.write(Buffer.from('/ ok'));
      stream.write('\n');
      stream.write('');
      expect(stream.written).toEqual([]);
      expect(stream.writableLength).toBe(9);
      await turnEnd();
      expect(stream.written.map((chunk) => Buffer.from(chunk).toString())).toEqual(['GET / ok\n']);
      expect(stream.writableLength).toBe(0);
    });

    it('sends what is held before a write that would exceed coalesceBytes, and a write of coalesceBytes or more at once', () => {
      const stream = new MemoryStream({ coalesceBytes: 8 });
      stream.write('12345');
      stream.write('6789');
      stream.write('é'.repeat(4));
      expect(stream.written.map((chunk) => Buffer.from(chunk).toString())).toEqual(['12345', '6789', 'éééé']);
      stream.write('ab');
      stream.write('cdefghij');
      expect(stream.written.map((chunk) => Buffer.from(chunk).toString()).slice(3)).toEqual(['ab', 'cdefghij']);
    });

    it('copies a held write: the caller may reuse its buffer as soon as write returns true', async () => {
      const stream = new MemoryStream();
      stream.feed('a request still unread');
      const reused = Buffer.from('first');
      expect(stream.write(reused)).toBe(true);
      reused.write('xxxxx');
      await turnEnd();
      expect(Buffer.from(stream.written[0]!).toString()).toBe('first');
    });

    it('flush and shutdown send what is held at once; close sends it, reset and a transport error drop it', async () => {
      const flushed = new MemoryStream();
      flushed.feed('unread');
      flushed.write('a');
      void flushed.flush();
      expect(flushed.written.length).toBe(1);
      const shut = new MemoryStream();
      shut.feed('unread');
      shut.write('b');
      void shut.shutdown();
      expect(shut.written.length).toBe(1);
      const closed = new MemoryStream();
      closed.feed('unread');
      closed.write('c');
      closed.close();
      expect(closed.written.length).toBe(1);
      const reset = new MemoryStream();
      reset.feed('unread');
      reset.write('d');
      reset.reset();
      const failed = new MemoryStream();
      failed.feed('unread');
      failed.write('e');
      failed.fail(resetError());
      await turnEnd();
      expect(reset.written).toEqual([]);
      expect(failed.written).toEqual([]);
      expect(failed.writableLength).toBe(0);
    });

    it('coalesceBytes 0 hands every write over as it comes', () => {
      const stream = new MemoryStream({ coalesceBytes: 0 });
      stream.write('a');
      stream.write('b');
      expect(stream.written).toEqual(['a', 'b']);
    });
  });
});

describe('BaseStream readable()', () => {
  it('resolves when a transport error is there to report, and the next read rejects with it', async () => {
    const stream = new MemoryStream();
    const readable = stream.readable();
    stream.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -ECONNRESET }));
    await readable;
    await expect(stream.readBytes(1)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('after an error, resolves while bytes received before it are left, which reads still get', async () => {
    const stream = new MemoryStream();
    stream.feed('ab');
    stream.fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -ECONNRESET }));
    await stream.readable();
    expect((await stream.readBytes(2)).toString()).toBe('ab');
    await stream.readable();
    await expect(stream.readBytes(1)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
