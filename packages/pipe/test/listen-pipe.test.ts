import { once } from 'node:events';
import { existsSync, lstatSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PipeError, listenPipe } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';
import { abstractName } from './pipe-harness.js';
import { leaveStaleSocket } from './stale.js';

const dir = temporaryDirectory('listen-pipe');
const open = new Set<Server>();
afterEach(async () => {
  await Promise.all([...open].map((server) => new Promise((resolve) => server.close(resolve))));
  open.clear();
});

/** An HTTP server answering every request with "ok", closed after the test. */
function httpServer(): Server {
  const server = createServer((_req, res) => res.end('ok'));
  open.add(server);
  return server;
}

/**
 * A group id this process may give a file and that is not its own group: one
 * of its supplementary groups, or any id when it runs as root (who may chown
 * to any group); its own group when it has no other (the test then shows
 * only that the option is applied).
 */
function otherGroup(): number {
  const own = process.getgid!();
  if (process.getuid!() === 0) return own === 4242 ? 4243 : 4242;
  return process.getgroups!().find((gid) => gid !== own) ?? own;
}

/** GET / over the Unix socket at `path`; resolves the body. */
async function get(path: string): Promise<string> {
  const req = request({ socketPath: path, path: '/' });
  req.end();
  const [res] = (await once(req, 'response')) as [NodeJS.ReadableStream];
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return body;
}

describe('listenPipe (any net.Server, as PipeServer binds)', () => {
  it('binds an http.Server on a Unix path with mode 0600, and its remover unlinks the file', async () => {
    const path = dir.path('http.sock');
    const remove = await listenPipe(httpServer(), path);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(await get(path)).toBe('ok');
    remove();
    expect(existsSync(path)).toBe(false);
  });

  it('replaces a stale socket file left by a SIGKILLed process', async () => {
    const path = dir.path('stale.sock');
    await leaveStaleSocket(path);
    await listenPipe(httpServer(), path, { mode: 0o660 });
    expect(lstatSync(path).mode & 0o777).toBe(0o660);
    expect(await get(path)).toBe('ok');
  });

  it('leaves a live socket alone: PipeError EADDRINUSE', async () => {
    const path = dir.path('live.sock');
    await listenPipe(httpServer(), path);
    const error = await listenPipe(httpServer(), path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PipeError);
    expect(error).toMatchObject({ code: 'EADDRINUSE' });
    expect(await get(path)).toBe('ok');
  });

  it('gives the socket file the group asked for, with its mode', async () => {
    const path = dir.path('group.sock');
    const group = otherGroup();
    await listenPipe(httpServer(), path, { mode: 0o660, group });
    const stats = lstatSync(path);
    expect(stats.gid).toBe(group);
    expect(stats.mode & 0o777).toBe(0o660);
    expect(await get(path)).toBe('ok');
  });

  it('rejects an empty path (TypeError), a mode or group out of range (RangeError) and a group on an abstract name (TypeError) before binding', async () => {
    await expect(listenPipe(httpServer(), '')).rejects.toThrow(TypeError);
    await expect(listenPipe(httpServer(), dir.path('m.sock'), { mode: 0o1777 })).rejects.toThrow(RangeError);
    await expect(listenPipe(httpServer(), dir.path('m.sock'), { group: -1 })).rejects.toThrow(RangeError);
    await expect(listenPipe(httpServer(), dir.path('m.sock'), { group: 1.5 })).rejects.toThrow(RangeError);
    if (process.platform === 'linux') await expect(listenPipe(httpServer(), abstractName(), { group: 0 })).rejects.toThrow(TypeError);
    expect(existsSync(dir.path('m.sock'))).toBe(false);
  });
});
