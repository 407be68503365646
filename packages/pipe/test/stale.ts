import { connect } from 'node:net';
import { once } from 'node:events';
import { lstatSync } from 'node:fs';
import { expect } from 'vitest';
import { exited, firstLine, fixture, spawnChild } from './child.js';

/**
 * Leaves a real stale socket file at `path`: a child process binds a
 * PipeServer there and is SIGKILLed, so nothing could clean up. Checks that
 * the file is a socket and that connecting to it is refused.
 */
export async function leaveStaleSocket(path: string): Promise<void> {
  using child = spawnChild(process.execPath, [fixture('bind-and-wait.mjs'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  expect(await firstLine(child.stdout!)).toBe('bound');
  child.kill('SIGKILL');
  expect((await exited(child)).signal).toBe('SIGKILL');
  expect(lstatSync(path).isSocket()).toBe(true);
  const probe = connect({ path });
  const [error] = (await once(probe, 'error').finally(() => probe.destroy())) as [NodeJS.ErrnoException];
  expect(error.code).toBe('ECONNREFUSED');
}
