import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import { addressOf, Client, rejection, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

const FIXTURE = fileURLToPath(new URL('./fixtures/every-second-throws.mjs', import.meta.url));

describe('module handlers', () => {
  it('costs a throwing handler only its own connection: the others are served, the failures counted', async () => {
    const daemon = await startDaemon([{ name: 'mod', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: FIXTURE } }]);
    const address = addressOf(daemon, 'mod');
    // Connection 1 is served and stays open while the others come and go.
    const longLived = await Client.connect(address);
    expect(await longLived.exchange('first\n')).toBe('first\n');

    const answers: string[] = [];
    for (let n = 2; n <= 7; n++) {
      const client = await Client.connect(address);
      client.socket.write(`line ${n}\n`);
      if (n % 2 === 0) {
        const { rest } = await client.ending();
        answers.push(`closed with ${rest.length} bytes`);
      } else {
        answers.push((await client.read(`line ${n}\n`.length)).toString());
      }
    }

    expect(answers).toEqual(['closed with 0 bytes', 'line 3\n', 'closed with 0 bytes', 'line 5\n', 'closed with 0 bytes', 'line 7\n']);
    expect(await longLived.exchange('still here\n')).toBe('still here\n');
    await until(() => daemon.server('mod').stats.errors === 3, 'the three failures to be counted');
    expect(daemon.server('mod').stats.accepted).toBe(7);
  });

  it.each([
    ['an export that is not a function', { path: FIXTURE, export: 'notAFunction' }],
    ['a missing module file', { path: '/nonexistent/evergreen-handler.mjs' }],
  ])('rejects addServer with DaemonError unavailable for %s', async (_what, handler) => {
    const daemon = await startDaemon([]);

    const error = await rejection(daemon.addServer({ name: 'mod', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', ...handler } }));

    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).kind).toBe('unavailable');
    expect(daemon.listServers()).toEqual([]);
  });
});
