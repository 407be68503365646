import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EADDRINUSE, EEXIST, EINVAL, ENOENT } from '@evergreen/errno';
import { StreamClosedError } from '@evergreen/stream-core';
import { MAX_UNIX_PATH_BYTES, PipeClient, checkBindPath, PipeError, PipeServer, type PipeBindOptions } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';
import { abstractName } from './pipe-harness.js';
import { leaveStaleSocket } from './stale.js';
import { firstLine, fixture, spawnChild } from './child.js';

const directory = temporaryDirectory('pipe-server');
let paths = 0;

/** A fresh directory of its own, so a test can list what is in it. */
function freshDirectory(): string {
  const path = directory.path(`d${paths++}`);
  mkdirSync(path);
  return path;
}

/** A server that echoes lines until the client ends (or the server closes), bound at `path`. */
async function echoServer(path: string, options?: PipeBindOptions): Promise<PipeServer> {
  const server = new PipeServer(async (conn) => {
    try {
      for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
    } catch (error) {
      // server.close() may come before the client's end is read.
      if (!(error instanceof StreamClosedError)) throw error;
    }
  });
  await server.bind(path, options);
  void server.serve();
  return server;
}

/** Sends one line to the server at `path` and resolves its reply. */
async function echo(path: string, line: string): Promise<string> {
  await using client = new PipeClient();
  await client.connect(path);
  client.write(line);
  return (await client.readUntil('\n')).toString();
}

async function bindFailure(path: string, options?: PipeBindOptions): Promise<unknown> {
  const server = new PipeServer(() => {});
  try {
    return await server.bind(path, options).then(() => undefined, (error: unknown) => error);
  } finally {
    await server.close();
  }
}

const modeOf = (path: string): number => lstatSync(path).mode & 0o777;

describe('PipeServer on a Unix socket path', () => {
  it('creates the socket file with mode 0600 by default', async () => {
    const path = join(freshDirectory(), 'default.sock');
    const server = await echoServer(path);
    try {
      expect(lstatSync(path).isSocket()).toBe(true);
      expect(modeOf(path)).toBe(0o600);
      expect(await echo(path, 'hi\n')).toBe('hi\n');
    } finally {
      await server.close();
    }
  });

  it('creates the socket file with the mode bind is given', async () => {
    const path = join(freshDirectory(), 'group.sock');
    const server = await echoServer(path, { mode: 0o660 });
    try {
      expect(modeOf(path)).toBe(0o660);
    } finally {
      await server.close();
    }
  });

  it('leaves nothing beside the socket file: the private bind directory is gone', async () => {
    const parent = freshDirectory();
    const server = await echoServer(join(parent, 'only.sock'));
    try {
      expect(readdirSync(parent)).toEqual(['only.sock']);
    } finally {
      await server.close();
    }
  });

  it('removes the socket file on close', async () => {
    const parent = freshDirectory();
    const path = join(parent, 'gone.sock');
    const server = await echoServer(path);
    await server.close();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('on close leaves alone a file that replaced its socket', async () => {
    const path = join(freshDirectory(), 'replaced.sock');
    const server = await echoServer(path);
    unlinkSync(path);
    writeFileSync(path, 'not yours');
    await server.close();
    expect(readFileSync(path, 'utf8')).toBe('not yours');
  });

  it('replaces a stale socket file left by a process that was SIGKILLed', async () => {
    const path = join(freshDirectory(), 'stale.sock');
    await leaveStaleSocket(path);
    const server = await echoServer(path);
    try {
      expect(await echo(path, 'fresh\n')).toBe('fresh\n');
      expect(modeOf(path)).toBe(0o600);
    } finally {
      await server.close();
    }
  });

  it('fails with EADDRINUSE on a live socket, which goes on serving', async () => {
    const path = join(freshDirectory(), 'live.sock');
    const live = await echoServer(path);
    try {
      const { ino } = lstatSync(path);
      const error = await bindFailure(path);
      expect(error).toBeInstanceOf(PipeError);
      expect(error).toMatchObject({ code: 'EADDRINUSE', errno: EADDRINUSE });
      expect((error as Error).message).toBe(`Cannot bind pipe "${path}": a live server is listening on it`);
      // The refused link() is why: its EEXIST is the cause.
      expect((error as Error).cause).toMatchObject({ code: 'EEXIST', syscall: 'link' });
      expect(lstatSync(path).ino).toBe(ino);
      expect(await echo(path, 'still here\n')).toBe('still here\n');
    } finally {
      await live.close();
    }
  });

  it('leaves alone a live server too busy to accept (backlog full): EADDRINUSE, never taken as stale', async () => {
    const path = join(freshDirectory(), 'busy.sock');
    using child = spawnChild(process.execPath, [fixture('bind-and-wait.mjs'), path, '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    expect(await firstLine(child.stdout!)).toBe('bound');
    // Stopped, the child accepts nothing: connections queue until the backlog is full.
    child.kill('SIGSTOP');
    const queued: Socket[] = [];
    try {
      let refusal: NodeJS.ErrnoException | undefined;
      for (let attempt = 0; attempt < 16 && refusal === undefined; attempt++) {
        const socket = connect({ path });
        queued.push(socket);
        // once() rejects with the 'error' event's error.
        refusal = await once(socket, 'connect').then(() => undefined, (error: NodeJS.ErrnoException) => error);
      }
      expect(refusal?.code).toBe('EAGAIN');
      const error = await bindFailure(path);
      expect(error).toMatchObject({ code: 'EADDRINUSE', errno: EADDRINUSE });
      expect((error as Error).message).toBe(`Cannot bind pipe "${path}": a socket is there and probing it failed with EAGAIN (left alone)`);
      expect((error as Error).cause).toMatchObject({ code: 'EAGAIN' });
      expect(lstatSync(path).isSocket()).toBe(true);
    } finally {
      for (const socket of queued) socket.destroy();
    }
  });

  it('never unlinks a path that is not a socket: a regular file fails with EEXIST and is kept', async () => {
    const path = join(freshDirectory(), 'data.txt');
    writeFileSync(path, 'precious');
    const error = await bindFailure(path);
    expect(error).toBeInstanceOf(PipeError);
    expect(error).toMatchObject({ code: 'EEXIST', errno: EEXIST });
    expect((error as Error).message).toBe(`Cannot bind pipe "${path}": the path exists and is not a socket (left alone)`);
    expect((error as Error).cause).toMatchObject({ code: 'EEXIST', syscall: 'link' });
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('never follows a symlink, even to a stale socket: both are kept', async () => {
    const parent = freshDirectory();
    const target = join(parent, 'stale.sock');
    await leaveStaleSocket(target);
    const path = join(parent, 'link.sock');
    symlinkSync(target, path);
    expect(await bindFailure(path)).toMatchObject({ code: 'EEXIST' });
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(lstatSync(target).isSocket()).toBe(true);
  });

  it('fails with a PipeError ENOENT in a directory that does not exist', async () => {
    const error = await bindFailure(join(directory.root, 'missing', 'x.sock'));
    expect(error).toBeInstanceOf(PipeError);
    expect(error).toMatchObject({ code: 'ENOENT', errno: ENOENT });
  });

  it('rejects a path over the Unix limit with a RangeError before the OS truncates it', async () => {
    const path = join(directory.root, 'x'.repeat(MAX_UNIX_PATH_BYTES));
    const error = await bindFailure(path);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(new RegExp(`over the limit of ${MAX_UNIX_PATH_BYTES}`));
  });

  it('rejects a path whose private bind path would be over the limit with a RangeError naming it', async () => {
    // <dir>/s fits, but <dir>/.pipe-XXXXXX/s is 13 bytes longer and does not.
    const parent = join(directory.root, 'p'.repeat(MAX_UNIX_PATH_BYTES - directory.root.length - 10));
    const path = join(parent, 's');
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(MAX_UNIX_PATH_BYTES);
    const error = await bindFailure(path);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toMatch(/is bound first at .*\.pipe-XXXXXX\/s/);
    // checkBindPath says the same without binding, and passes a path bind takes.
    expect(() => checkBindPath(path)).toThrow((error as Error).message);
    expect(checkBindPath(join(directory.root, 's'))).toBe('unix');
  });

  it('rejects a mode that is not permission bits: TypeError for a non-number, RangeError out of 0..0o777', async () => {
    const path = join(freshDirectory(), 'mode.sock');
    expect(await bindFailure(path, { mode: '600' as unknown as number })).toBeInstanceOf(TypeError);
    expect(await bindFailure(path, { mode: 0o4777 })).toBeInstanceOf(RangeError);
    expect(await bindFailure(path, { mode: -1 })).toBeInstanceOf(RangeError);
    expect(existsSync(path)).toBe(false);
  });

  it('pipename: a PipeError EINVAL before bind, the path after, a StreamClosedError once closed', async () => {
    const path = join(freshDirectory(), 'named.sock');
    const server = new PipeServer(() => {});
    expect(() => server.pipename).toThrow(PipeError);
    expect(() => server.pipename).toThrow(expect.objectContaining({ code: 'EINVAL', errno: EINVAL }));
    await server.bind(path);
    expect(server.pipename).toBe(path);
    await server.close();
    expect(() => server.pipename).toThrow(StreamClosedError);
  });

  it('close during bind leaves nothing listening and no socket file', async () => {
    const parent = freshDirectory();
    const path = join(parent, 'raced.sock');
    const server = new PipeServer(() => {});
    const binding = server.bind(path);
    const closing = server.close();
    await expect(binding).rejects.toBeInstanceOf(StreamClosedError);
    await closing;
    expect(readdirSync(parent)).toEqual([]);
    await expect(new PipeClient().connect(path)).rejects.toMatchObject({ name: 'PipeError', code: 'ENOENT' });
  });
});

if (process.platform === 'linux') {
  // Other platforms refuse abstract names: see compliance.test.ts.
  describe('PipeServer on a Linux abstract name', () => {
    it('binds and serves it; pipename is the name with its NUL', async () => {
      const name = abstractName();
      const server = await echoServer(name);
      try {
        expect(server.pipename).toBe(name);
        expect(await echo(name, 'abstract\n')).toBe('abstract\n');
      } finally {
        await server.close();
      }
      await expect(new PipeClient().connect(name)).rejects.toMatchObject({ name: 'PipeError', code: 'ECONNREFUSED' });
    });

    it('a second bind of a live name fails with EADDRINUSE from the OS', async () => {
      const name = abstractName();
      const server = await echoServer(name);
      try {
        const error = await bindFailure(name);
        expect(error).toBeInstanceOf(PipeError);
        expect(error).toMatchObject({ code: 'EADDRINUSE', errno: EADDRINUSE });
        expect((error as Error).message).toMatch(/^Cannot bind pipe "\\0evergreen-pipe-test-/);
      } finally {
        await server.close();
      }
    });

    it('rejects a mode with a TypeError: an abstract name has no file', async () => {
      expect(await bindFailure(abstractName(), { mode: 0o600 })).toBeInstanceOf(TypeError);
    });
  });
}
