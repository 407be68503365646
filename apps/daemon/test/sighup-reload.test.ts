import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectOutcome, connectTo, createSandbox, exchange, startDaemon, targetOf, type Target } from './daemon-process.js';

afterEach(cleanUp);

describe('SIGHUP reloads the config by difference', () => {
  it('keeps an unchanged server and its open connection, restarts the changed, stops the removed, starts the added; an invalid config changes nothing', async () => {
    const sandbox = await createSandbox();
    const changedPath = join(sandbox.dir, 'changed.sock');
    const addedPath = join(sandbox.dir, 'added.sock');
    const server = (name: string, listen: string, type = 'echo') => ({ name, listen, handler: { type } });
    await sandbox.writeConfig({
      servers: [server('kept', 'tcp://127.0.0.1:0'), server('changed', `pipe://${changedPath}`), server('removed', 'tcp://127.0.0.1:0')],
    });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [keptURI, changedURI, removedURI] = await daemon.started();
    expect(changedURI).toBe(`pipe://${changedPath}`);
    const kept = targetOf(keptURI!);
    const removed = targetOf(removedURI!);
    const changed: Target = { path: changedPath };
    const added: Target = { path: addedPath };
    const held = await connectTo(kept);
    expect((await held.roundTrip('before\n')).toString()).toBe('before\n');
    expect(await exchange(changed, 'echoed\n')).toBe('echoed\n');
    expect(await exchange(removed, 'echoed\n')).toBe('echoed\n');
    expect(await connectOutcome(added)).toBe('ENOENT');

    await sandbox.writeConfig({
      servers: [server('kept', 'tcp://127.0.0.1:0'), server('changed', `pipe://${changedPath}`, 'discard'), server('added', `pipe://${addedPath}`)],
    });
    daemon.signal('SIGHUP');
    const { report } = await daemon.waitForLog('SIGHUP: config reloaded');
    expect(report).toMatchObject({ added: ['added'], removed: ['removed'], restarted: ['changed'], unchanged: ['kept'], failed: [] });

    expect((await held.roundTrip('after\n')).toString()).toBe('after\n');
    expect(await exchange(kept, 'new connection\n')).toBe('new connection\n');
    expect(await exchange(changed, 'dropped\n')).toBe('');
    expect(await exchange(added, 'hello\n')).toBe('hello\n');
    expect(await connectOutcome(removed)).toBe('ECONNREFUSED');

    await sandbox.writeConfig({ servers: [{ ...server('kept', 'tcp://127.0.0.1:0'), maxConnections: 0 }] });
    daemon.signal('SIGHUP');
    const error = await daemon.waitForLog('SIGHUP: config not reloaded, the old one stays');
    expect(error.level).toBe(50);
    expect((error.err as { message: string }).message).toContain(`Invalid config "${sandbox.configFile}":\nservers[0].maxConnections: got 0; maxConnections must be at least 1`);

    expect((await held.roundTrip('still\n')).toString()).toBe('still\n');
    expect(await exchange(kept, 'new connection\n')).toBe('new connection\n');
    expect(await exchange(changed, 'dropped\n')).toBe('');
    expect(await exchange(added, 'hello\n')).toBe('hello\n');
    expect(await connectOutcome(removed)).toBe('ECONNREFUSED');
    held.close();
  });
});
