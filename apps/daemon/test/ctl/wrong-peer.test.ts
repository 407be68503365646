import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELLO_TIMEOUT_MS } from '../../src/ctl/ctl-context.js';
import { ctl, listen, tempDir } from './ctl-helpers.js';

/** The bound of one test: the CLI's greeting timeout plus time to start node twice; not a speed assertion. */
const TEST_TIMEOUT_MS = HELLO_TIMEOUT_MS + 30_000;

/** A Unix socket served by `handler`, closed after the test; resolves its path. */
async function socketServedBy(handler: Parameters<typeof listen>[0]): Promise<string> {
  const path = join(tempDir(), 'peer.sock');
  await listen(handler, path);
  return path;
}

describe('evergreenctl against a socket that is no evergreend', () => {
  it('exits 3, saying it is not an evergreend control socket, when the peer echoes the hello request back', async () => {
    const path = await socketServedBy((socket) => {
      // `status` goes out with `hello`: the CLI exits on the first echo with
      // the second unread, which resets this end (ECONNRESET), as it should.
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    const run = await ctl(['--socket', path, 'status']);
    expect(run).toMatchObject({ code: 3, signal: null, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^evergreenctl: Cannot complete "hello": "${path}" is not an evergreend control socket: the peer sent a request \\("hello"\\)`));
  }, TEST_TIMEOUT_MS);

  it('exits 3 naming the socket when the peer never answers hello', async () => {
    const path = await socketServedBy((socket) => socket.resume());
    const run = await ctl(['--socket', path, 'servers']);
    expect(run).toMatchObject({ code: 3, signal: null, stdout: '' });
    expect(run.stderr).toBe(`evergreenctl: Cannot reach the daemon: nothing answered "hello" at "${path}" within ${HELLO_TIMEOUT_MS / 1000} s; it is not an evergreend control socket, or the daemon is stuck\n`);
  }, TEST_TIMEOUT_MS);

  it('says it cannot read the reply, not that the daemon closed, when the peer writes what is no MessagePack-RPC', async () => {
    const path = await socketServedBy((socket) => {
      socket.resume();
      socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    const run = await ctl(['--socket', path, 'status']);
    expect(run).toMatchObject({ code: 3, signal: null, stdout: '' });
    expect(run.stderr).toMatch(/^evergreenctl: Cannot complete "hello": cannot read the daemon's reply: /);
    expect(run.stderr).not.toContain('closed the connection');
  }, TEST_TIMEOUT_MS);
});
