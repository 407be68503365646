import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EALREADY, ECONNREFUSED, EISCONN, ENOENT } from '@evergreen/errno';
import { StreamClosedError } from '@evergreen/stream-core';
import { MAX_UNIX_PATH_BYTES, PipeClient, PipeError, PipeServer } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';
import { leaveStaleSocket } from './stale.js';

const directory = temporaryDirectory('pipe-client');

async function connectFailure(client: PipeClient, path: string, signal?: AbortSignal): Promise<unknown> {
  return client.connect(path, { signal }).then(() => undefined, (error: unknown) => error);
}

describe('PipeClient.connect', () => {
  it('to a missing path rejects a PipeError ENOENT naming the path, and closes the client', async () => {
    const path = directory.path('nobody.sock');
    const client = new PipeClient();
    const error = await connectFailure(client, path);
    expect(error).toBeInstanceOf(PipeError);
    expect(error).toMatchObject({ code: 'ENOENT', errno: ENOENT });
    expect((error as Error).message).toBe(`Cannot connect to pipe "${path}": no such file or directory (ENOENT)`);
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    expect(client.closed).toBe(true);
  });

  it('to a stale socket file rejects a PipeError ECONNREFUSED', async () => {
    const path = directory.path('stale.sock');
    await leaveStaleSocket(path);
    const error = await connectFailure(new PipeClient(), path);
    expect(error).toBeInstanceOf(PipeError);
    expect(error).toMatchObject({ code: 'ECONNREFUSED', errno: ECONNREFUSED });
  });

  it('a second connect rejects EISCONN once connected and EALREADY while connecting', async () => {
    const path = directory.path('busy.sock');
    const server = new PipeServer(() => {});
    await server.bind(path);
    void server.serve();
    const client = new PipeClient();
    try {
      const first = client.connect(path);
      await expect(client.connect(path)).rejects.toMatchObject({ name: 'PipeError', code: 'EALREADY', errno: EALREADY });
      await first;
      await expect(client.connect(path)).rejects.toMatchObject({ name: 'PipeError', code: 'EISCONN', errno: EISCONN });
      client.write('still connected\n');
      await client.flush();
    } finally {
      client.close();
      await server.close();
    }
  });

  it('with an aborted signal rejects with its reason and closes the client', async () => {
    const reason = new Error('changed my mind');
    const client = new PipeClient();
    expect(await connectFailure(client, directory.path('any.sock'), AbortSignal.abort(reason))).toBe(reason);
    expect(client.closed).toBe(true);
    await expect(client.connect(directory.path('any.sock'))).rejects.toBeInstanceOf(StreamClosedError);
  });

  it('rejects malformed paths before the OS sees them: TypeError, or RangeError when too long', async () => {
    const client = new PipeClient();
    await expect(client.connect(join(directory.root, 'y'.repeat(MAX_UNIX_PATH_BYTES)))).rejects.toThrow(RangeError);
    await expect(client.connect('')).rejects.toThrow(TypeError);
    await expect(client.connect('/tmp/a\0b')).rejects.toThrow(TypeError);
    expect(client.closed).toBe(false);
  });
});
