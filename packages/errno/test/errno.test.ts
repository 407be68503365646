import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { once } from 'node:events';
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as errno from '../src/index.js';
import { EADDRINUSE, ECONNREFUSED, EOF, ENOENT, ENOEXEC, ENOTTY, errorcode, errnoOf, findErrno, strerror } from '../src/index.js';

async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function failureOf(start: (onError: (err: NodeJS.ErrnoException) => void) => void): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve) => start(resolve));
}

describe('@evergreen/errno', () => {
  it('connecting to a closed port raises the errno ECONNREFUSED names', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await failureOf((onError) => connect(port, '127.0.0.1').on('error', onError));
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.errno).toBe(ECONNREFUSED);
    expect(errorcode[ECONNREFUSED]).toBe('ECONNREFUSED');
    expect(strerror(ECONNREFUSED)).toBe('connection refused');
  });

  it('a second bind of the same port raises the errno EADDRINUSE names', async () => {
    const first = createServer();
    const port = await listen(first);
    try {
      const err = await failureOf((onError) => createServer().on('error', onError).listen(port, '127.0.0.1'));
      expect(err.code).toBe('EADDRINUSE');
      expect(err.errno).toBe(EADDRINUSE);
      expect(strerror(EADDRINUSE)).toBe('address already in use');
    } finally {
      first.close();
    }
  });

  it('values match the OS errno numbers Node reports (negated on Unix)', () => {
    if (process.platform !== 'win32') {
      expect(EADDRINUSE).toBe(-constants.errno.EADDRINUSE);
      expect(ENOENT).toBe(-constants.errno.ENOENT);
      expect(ENOTTY).toBe(-constants.errno.ENOTTY);
    }
    expect(errorcode[EOF]).toBe('EOF');
    expect(strerror(EOF)).toBe('end of file');
  });

  it('errorcode and the constants agree for every libuv name', () => {
    const names = Object.values(errorcode);
    expect(names.length).toBeGreaterThan(70);
    for (const name of names) expect(errorcode[errnoOf(name)]).toBe(name);
    expect(Object.isFrozen(errorcode)).toBe(true);
  });

  it('strerror of an unknown number says so and never throws', () => {
    expect(strerror(123456)).toBe('unknown error 123456');
    expect(errorcode[123456]).toBeUndefined();
  });

  it('errnoOf rejects a name libuv does not know, findErrno answers undefined', () => {
    expect(() => errnoOf('ENOTANERROR')).toThrow(RangeError);
    expect(findErrno('ENOTANERROR')).toBeUndefined();
  });

  it('every error the running Node reports is reachable by number and by name, also names newer than the constants', () => {
    const table = getSystemErrorMap();
    expect(table.size).toBe(Object.keys(errorcode).length);
    for (const [number, [name, message]] of table) {
      expect(errorcode[number]).toBe(name);
      expect(findErrno(name)).toBe(number);
      expect(strerror(number)).toBe(message);
    }
  });

  it("each named constant is the running Node's number for its name, undefined when this Node lacks the name", () => {
    const named = Object.entries(errno).filter(([key]) => /^(E[A-Z0-9_]+|UNKNOWN)$/.test(key) && key !== 'EOF');
    expect(named.length).toBeGreaterThan(80);
    for (const [name, value] of named) expect(value, name).toBe(findErrno(name));
    expect(errno.EOF).toBe(findErrno('EOF'));
  });

  it('ENOEXEC is the OS number on a Node whose libuv has it (Node 24), undefined on one without (Node 20)', () => {
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 24 && process.platform !== 'win32') expect(ENOEXEC).toBe(-constants.errno.ENOEXEC);
    if (major <= 20) expect(ENOEXEC).toBeUndefined();
    expect(ENOEXEC).toBe(findErrno('ENOEXEC'));
  });
});
