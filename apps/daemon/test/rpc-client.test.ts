import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, linkSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DaemonAccessError, DaemonDisconnectedError, DaemonNotRunningError, RpcClient } from '../src/index.js';
import { NotificationQueue } from '../src/ctl/notification-queue.js';
import { onCleanup, socketPath, startServer } from './helpers.js';

const execFileAsync = promisify(execFile);

/** Runs a child program, killed by pid after the test whatever happens. */
function run(file: string, args: string[], options: { uid?: number; gid?: number } = {}): Promise<{ stdout: string }> {
  const running = execFileAsync(file, args, { ...options, timeout: 20_000, killSignal: 'SIGKILL' });
  const pid = running.child.pid;
  onCleanup(() => {
    if (pid !== undefined && running.child.exitCode === null && running.child.signalCode === null) process.kill(pid, 'SIGKILL');
  });
  return running;
}
const connectFixture = fileURLToPath(new URL('fixtures/connect.mjs', import.meta.url));

describe('RpcClient.connect', () => {
  it('says no daemon answers, and how to start one, when there is no socket file', async () => {
    const path = socketPath();
    const error = await RpcClient.connect(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DaemonNotRunningError);
    expect(error).toMatchObject({ code: 'ENOENT', path });
    expect((error as Error).message).toBe(`Cannot reach the daemon: no daemon answers at "${path}"; start one with \`npx evergreend\``);
  });

  it('says no daemon answers when the socket file is stale (ECONNREFUSED)', async () => {
    const path = socketPath();
    const { server } = await startServer({ path });
    const stale = `${path}.stale`;
    linkSync(path, stale);
    await server.close();
    const error = await RpcClient.connect(stale).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DaemonNotRunningError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
  });

  if (process.getuid?.() === 0) {
    describe('as root, with a child process running as user nobody', () => {
      it('says access is denied to another user\'s socket (EACCES)', async () => {
        const { path } = await startServer();
        const { stdout } = await run(nodeForEveryone(), [connectFixture, path], { uid: 65_534, gid: 65_534 });
        const outcome = JSON.parse(stdout) as { name: string; code: string; message: string };
        expect(outcome).toMatchObject({ name: 'DaemonAccessError', code: 'EACCES' });
        expect(outcome.message).toMatch(/^Cannot reach the daemon at ".*": access denied; the socket belongs to another user/);
      });
    });
  } else {
    describe('as a user without root, with a socket file of mode 000', () => {
      it('says access is denied (EACCES)', async () => {
        const path = socketPath().replace(/run\/control\.sock$/, 'locked.sock');
        const listener = createServer();
        listener.listen(path);
        await once(listener, 'listening');
        onCleanup(() => listener.close());
        chmodSync(path, 0);
        const error = await RpcClient.connect(path).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DaemonAccessError);
        expect(error).toMatchObject({ code: 'EACCES' });
      });
    });
  }

  it('connects through the fixture when allowed (the child path works)', async () => {
    const { path } = await startServer();
    const { stdout } = await run(process.execPath, [connectFixture, path]);
    expect(JSON.parse(stdout)).toEqual({ connected: true });
  });
});

describe('RpcClient', () => {
  it('sends an object as [object] and an array as is', async () => {
    const { path } = await startServer();
    const client = await RpcClient.connect(path);
    onCleanup(() => client.close());
    expect(await client.call('echo', { value: 1 })).toEqual({ value: 1 });
    expect(await client.call('echo', [{ value: 2 }])).toEqual({ value: 2 });
  });

  it('rejects malformed arguments without throwing', async () => {
    const { path } = await startServer();
    const client = await RpcClient.connect(path);
    onCleanup(() => client.close());
    const bad = client.call('echo', 5 as unknown as object);
    await expect(bad).rejects.toThrow(TypeError);
    await expect(client.call(5 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('rejects pending and later calls once closed, and ends events()', async () => {
    const { path } = await startServer();
    const client = await RpcClient.connect(path);
    const events = client.events()[Symbol.asyncIterator]();
    const pending = client.call('wait', { id: 1 });
    const ended = events.next();
    client.close();
    await expect(pending).rejects.toThrow(DaemonDisconnectedError);
    await expect(pending).rejects.toThrow(/^Cannot complete "wait": the client was closed/);
    await expect(client.call('hello')).rejects.toThrow(/^Cannot complete "hello": the client was closed/);
    expect(await ended).toEqual({ done: true, value: undefined });
    expect(client.closed).toBe(true);
  });
});

describe('NotificationQueue', () => {
  it('counts what does not fit in one dropped entry, in the place of the lost notifications', async () => {
    const queue = new NotificationQueue(4);
    for (let n = 0; n < 10; n++) queue.push({ method: 'event', params: [{ n }] });
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await queue.take());
    queue.push({ method: 'event', params: [{ n: 10 }] });
    taken.push(await queue.take());
    expect(taken).toEqual([
      { method: 'event', params: [{ n: 0 }] },
      { method: 'event', params: [{ n: 1 }] },
      { method: 'event', params: [{ n: 2 }] },
      { method: 'event', params: [{ n: 3 }] },
      { method: 'dropped', params: [{ count: 6 }] },
      { method: 'event', params: [{ n: 10 }] },
    ]);
    queue.end(new Error('lost'));
    await expect(queue.take()).rejects.toThrow('lost');
  });
});

/**
 * A Node binary user nobody may run: this one, or a copy of it in a temp dir
 * when it lives under a directory closed to others (a Node installed in
 * root's home, as CI's second Node is).
 */
function nodeForEveryone(): string {
  for (let dir = dirname(process.execPath); dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      const copy = join(mkdtempSync(join(tmpdir(), 'evergreen-node-')), 'node');
      chmodSync(dirname(copy), 0o755);
      copyFileSync(process.execPath, copy);
      chmodSync(copy, 0o755);
      onCleanup(() => rmSync(dirname(copy), { recursive: true, force: true }));
      return copy;
    }
  }
  return process.execPath;
}
