import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TCPClient } from '../src/index.js';

const script = fileURLToPath(new URL('../../../examples/echo-server.mjs', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  child = undefined;
});

/** The first line the child prints (its stdout stays open for the rest). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += String(chunk);
      if (!text.includes('\n')) return;
      child.stdout!.off('data', onData).resume();
      resolve(text.slice(0, text.indexOf('\n')));
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => reject(new Error(`The example exited before printing a line: ${JSON.stringify(text)}`)));
  });
}

describe('examples/echo-server.mjs (what npm start runs)', () => {
  it('echoes lines on the port it prints and drains and exits on SIGTERM', async () => {
    child = spawn(process.execPath, [script], { cwd, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const banner = await firstLine(child);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
    expect(port).toBeGreaterThan(0);
    const client = new TCPClient();
    try {
      await client.connect({ host: '127.0.0.1', port });
      client.write('hello, example\n');
      expect((await client.readUntil('\n')).toString()).toBe('hello, example\n');
    } finally {
      client.close();
    }
    const exited = once(child, 'exit');
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toEqual([0, null]);
  }, 30_000);
});
