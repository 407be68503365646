import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SpecClient, type Reply } from './control-daemon/spec-client.js';
import { cleanUp, connectTo, createSandbox, startDaemon, targetOf } from './daemon-process.js';

afterEach(cleanUp);

/** `promise`, or a failure naming `what` when it has not settled within 15 s (a bound, not a speed assertion). */
async function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Gave up waiting for ${what}`)), 15_000)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const echo = (name: string) => ({ name, listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } });

describe('once a shutdown has begun', () => {
  it('a change pipelined right after shutdown on the same connection is answered -32003 and neither applied nor saved', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('only')] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    await daemon.started();
    const client = await SpecClient.connect(sandbox.socket);
    try {
      // One write: the daemon reads both requests at once.
      client.socket.cork();
      const stopping = client.request('shutdown', [{ drainMs: 0 }]);
      const late = client.request('servers.add', [echo('late')]);
      client.socket.uncork();

      expect(await bounded(stopping, 'the shutdown reply')).toEqual({ error: null, result: { stopping: true } });
      const refused: Reply = await bounded(late, 'the servers.add reply');
      expect(refused.error).toMatchObject({ code: -32003, message: 'Cannot change the servers: the daemon is shutting down' });
    } finally {
      client.close();
    }
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(daemon.lines.some((line) => line.includes('"server added"'))).toBe(false);
    if (existsSync(sandbox.stateFile)) expect(JSON.parse(await readFile(sandbox.stateFile, 'utf8')).runtime).toEqual({});
  });

  it('a servers.remove waiting for its drain is answered when a shutdown ends that drain', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('kept'), echo('leaving')] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [, leavingURI] = await daemon.started();
    const held = await connectTo(targetOf(leavingURI!));
    expect((await held.roundTrip('hold\n')).toString()).toBe('hold\n');
    const remover = await SpecClient.connect(sandbox.socket);
    const stopper = await SpecClient.connect(sandbox.socket);
    try {
      const removing = remover.request('servers.remove', [{ name: 'leaving', drainMs: 600_000 }]);
      await daemon.waitForLog('server removed: draining');

      expect(await bounded(stopper.call('shutdown', { drainMs: 0 }), 'the shutdown reply')).toEqual({ stopping: true });
      const removed = await bounded(removing, 'the servers.remove reply');
      expect(removed.error).toBeNull();
      expect(removed.result).toMatchObject({ name: 'leaving', state: 'stopped' });
    } finally {
      held.close();
      remover.close();
      stopper.close();
    }
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });
});
