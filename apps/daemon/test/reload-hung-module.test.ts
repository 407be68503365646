import { existsSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SpecClient } from './control-daemon/spec-client.js';
import { cleanUp, createSandbox, exchange, startDaemon, targetOf } from './daemon-process.js';
import { config, loopbackServer, releaseAll, rejection, startDaemon as startInProcess, tempDir } from './host/harness.js';
import { DaemonError } from '../src/daemon/daemon-error.js';

afterEach(async () => {
  await releaseAll();
  await cleanUp();
});

/** A handler module whose import never finishes (a top-level await on nothing). */
const HUNG_MODULE = fileURLToPath(new URL('./host/fixtures/import-never-ends.mjs', import.meta.url));
/** A handler module whose import finishes once a file named `go` appears beside it. */
const GATED_MODULE = fileURLToPath(new URL('./host/fixtures/import-waits-for-go.mjs', import.meta.url));

/** `promise`, or a failure naming `what` when it has not settled within `ms` (a bound, not a speed assertion). */
async function bounded<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Gave up waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const echo = (name: string) => ({ name, listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } });
const hung = { name: 'hung', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: HUNG_MODULE } };

/** Resolves once `file` exists (polled, bounded). */
async function fileAppears(file: string, ms = 15_000): Promise<void> {
  for (let waited = 0; !existsSync(file); waited += 20) {
    if (waited > ms) throw new Error(`Gave up waiting for ${file}`);
    await sleep(20);
  }
}

describe('a reload whose handler module never finishes loading', () => {
  it('holds up no later change: pause, add and a fixed second SIGHUP reload are all answered while it waits', async () => {
    const sandbox = await createSandbox();
    // A bound far past this test's waits: the later changes must not wait for it.
    const moduleLoadTimeoutMs = 600_000;
    const waiting = join(sandbox.dir, 'waiting.mjs');
    await copyFile(GATED_MODULE, waiting);
    const stuck = { name: 'stuck', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: waiting } };
    await sandbox.writeConfig({ servers: [echo('kept')], moduleLoadTimeoutMs });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [keptURI] = await daemon.started();
    const client = await SpecClient.connect(sandbox.socket);
    try {
      await sandbox.writeConfig({ servers: [echo('kept'), stuck], moduleLoadTimeoutMs });
      daemon.signal('SIGHUP');
      // The module is being imported (it never gets its `go`): the reload has read the config and waits.
      await fileAppears(join(sandbox.dir, 'loading'));

      expect(await bounded(client.call('servers.pause', { name: 'kept', mode: 'refuse' }), 'servers.pause')).toMatchObject({ state: 'paused' });
      expect(await bounded(client.call('servers.add', echo('added')), 'servers.add')).toMatchObject({ state: 'listening' });
      await sandbox.writeConfig({ servers: [echo('kept'), echo('second')], moduleLoadTimeoutMs });
      daemon.signal('SIGHUP');
      const { report } = await daemon.waitForLog('SIGHUP: config reloaded');
      expect(report).toMatchObject({ added: ['second'], unchanged: ['kept', 'added'], failed: [] });
      expect(await bounded(client.call('servers.resume', { name: 'kept' }), 'servers.resume')).toMatchObject({ state: 'listening' });
      expect(await exchange(targetOf(keptURI!), 'still here\n')).toBe('still here\n');
      const names = ((await client.call('servers.list')) as { name: string }[]).map((server) => server.name);
      expect(names).toEqual(['kept', 'added', 'second']);
    } finally {
      client.close();
    }
  });

  it('fails once moduleLoadTimeoutMs has passed: logged at warn naming the bound, nothing changed', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('kept')], moduleLoadTimeoutMs: 300 });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    await daemon.started();
    await sandbox.writeConfig({ servers: [echo('kept'), hung], moduleLoadTimeoutMs: 300 });
    daemon.signal('SIGHUP');

    const late = await daemon.waitForLog('loading a server took longer than moduleLoadTimeoutMs: it is not started');
    expect(late).toMatchObject({ level: 40, server: 'hung', timeoutMs: 300 });
    const failed = await daemon.waitForLog('SIGHUP: config not reloaded, the old one stays');
    expect((failed.err as { message: string }).message).toBe('Cannot add server "hung": its handler or transport did not finish loading within 300 ms (moduleLoadTimeoutMs)');

    const client = await SpecClient.connect(sandbox.socket);
    try {
      const added = await client.request('servers.add', [hung]);
      expect(added.error).toMatchObject({ code: -32005, message: 'Cannot add server "hung": its handler or transport did not finish loading within 300 ms (moduleLoadTimeoutMs)' });
      const names = ((await client.call('servers.list')) as { name: string }[]).map((server) => server.name);
      expect(names).toEqual(['kept']);
    } finally {
      client.close();
    }
  });

  it('a reload whose module finishes loading after a later reload was applied is refused as superseded, and changes nothing', async () => {
    const daemon = await startInProcess([loopbackServer('kept')]);
    const dir = await tempDir();
    const slowModule = join(dir, 'slow.mjs');
    await copyFile(GATED_MODULE, slowModule);
    const slow = rejection(daemon.reload({ config: config([loopbackServer('kept'), { name: 'slow', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: slowModule } }]) }));
    const later = await bounded(daemon.reload({ config: config([loopbackServer('kept'), loopbackServer('later')]) }), 'the later reload');
    expect(later).toMatchObject({ added: ['later'], unchanged: ['kept'] });

    await writeFile(join(dir, 'go'), '');
    const error = await bounded(slow, 'the slow reload');
    expect(error).toBeInstanceOf(DaemonError);
    expect(error).toMatchObject({ kind: 'busy', message: 'Cannot reload the config: a reload asked for after this one was applied first' });
    expect(daemon.listServers().map((server) => server.name)).toEqual(['kept', 'later']);
  });
});
