import { describe, expect, it } from 'vitest';
import { ECONNREFUSED, EINVAL, EIO } from '@evergreen/errno';
import { IncompleteReadError, LimitExceededError, StreamClosedError, StreamError, StreamErrorFactory } from '../src/index.js';

class DemoError extends StreamError {}

describe('errors', () => {
  const errors = new StreamErrorFactory(DemoError);

  it('a kind error of a transport is an instance of both, and names its kind', () => {
    const closed = errors.closed('Cannot read');
    expect(closed).toBeInstanceOf(DemoError);
    expect(closed).toBeInstanceOf(StreamClosedError);
    expect(closed).toBeInstanceOf(StreamError);
    expect(closed).not.toBeInstanceOf(IncompleteReadError);
    expect(closed.name).toBe('StreamClosedError');
    expect(closed.message).toBe('Cannot read: the stream is closed');
  });

  it('kind-specific fields travel with the error', () => {
    const incomplete = errors.incomplete(Buffer.from('ab'), 'find the delimiter');
    expect(incomplete).toBeInstanceOf(IncompleteReadError);
    expect(incomplete.partial.toString()).toBe('ab');
    const limit = errors.limit(10, 'find the delimiter');
    expect(limit).toBeInstanceOf(LimitExceededError);
    expect(limit.limit).toBe(10);
    expect(limit).not.toBeInstanceOf(StreamClosedError);
  });

  it('a system error keeps errno, code and the original as cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { errno: ECONNREFUSED, code: 'ECONNREFUSED' });
    const error = errors.system('Cannot connect', cause);
    expect(error).toBeInstanceOf(DemoError);
    expect(error.name).toBe('DemoError');
    expect(error.errno).toBe(ECONNREFUSED);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('Cannot connect: connection refused (ECONNREFUSED)');
  });

  it("a Node SystemError's errno and code are read from its info", () => {
    const cause = Object.assign(new Error('TTY initialization failed'), { code: 'ERR_TTY_INIT_FAILED', info: { errno: -22, code: 'EINVAL' } });
    expect(errors.system('Cannot open fd 9', cause)).toMatchObject({ errno: -22, code: 'EINVAL' });
    expect(errors.system('Cannot parse', Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })).code).toBeUndefined();
  });

  it('an error the library detects itself carries the code, its errno and the cause', () => {
    const cause = new Error('probe failed');
    const error = errors.withCode('Cannot read the server address', 'EINVAL', 'the server is not bound', cause);
    expect(error).toBeInstanceOf(DemoError);
    expect(error).toMatchObject({ code: 'EINVAL', errno: EINVAL, cause, message: 'Cannot read the server address: the server is not bound' });
    expect(errors.withCode('Cannot connect', 'EISCONN', 'the stream is connected').cause).toBeUndefined();
    expect(() => errors.withCode('Cannot x', 'ENOTANERROR', 'y')).toThrow(RangeError);
  });

  it("a libuv status a binding returned carries that errno and its code; an unnamed number carries no code", () => {
    const error = errors.withErrno('Cannot enter raw mode', EIO);
    expect(error).toBeInstanceOf(DemoError);
    expect(error).toMatchObject({ errno: EIO, code: 'EIO', message: 'Cannot enter raw mode: i/o error' });
    expect('cause' in error).toBe(false);
    const unnamed = errors.withErrno('Cannot enter raw mode', -123456);
    expect(unnamed).toMatchObject({ errno: -123456, message: 'Cannot enter raw mode: unknown error -123456' });
    expect(unnamed.code).toBeUndefined();
  });

  it('plain kind errors constructed directly still work with instanceof', () => {
    expect(new StreamClosedError('x')).toBeInstanceOf(StreamError);
    expect(new StreamError('x')).not.toBeInstanceOf(StreamClosedError);
    expect({}).not.toBeInstanceOf(StreamError);
  });
});
