import { existsSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ctl } from './ctl/ctl-helpers.js';
import { cleanUp, createSandbox, startDaemon, type Sandbox } from './daemon-process.js';

afterEach(cleanUp);

/** A handler module whose import waits (writing `loading` beside itself) until a file named `go` appears there. */
const GATED_MODULE = fileURLToPath(new URL('./host/fixtures/import-waits-for-go.mjs', import.meta.url));

/** Resolves once `file` exists (polled, bounded). */
async function fileAppears(file: string, ms = 15_000): Promise<void> {
  for (let waited = 0; !existsSync(file); waited += 20) {
    if (waited > ms) throw new Error(`Gave up waiting for ${file}`);
    await sleep(20);
  }
}

/** Starts evergreend on a config whose second server's module loads only once `go` is written; resolves when the start is stuck there. */
async function slowStart(sandbox: Sandbox) {
  const slow = join(sandbox.dir, 'slow.mjs');
  await copyFile(GATED_MODULE, slow);
  await sandbox.writeConfig({
    servers: [
      { name: 'first', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } },
      { name: 'slow', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: slow } },
    ],
    moduleLoadTimeoutMs: 600_000,
  });
  const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
  await fileAppears(join(sandbox.dir, 'loading'));
  return { daemon, go: () => writeFile(join(sandbox.dir, 'go'), '') };
}

describe('a daemon that is still starting', () => {
  it('stops on SIGINT as the README says: logged, drained, lock released, exit 0', async () => {
    const sandbox = await createSandbox();
    const { daemon } = await slowStart(sandbox);

    daemon.signal('SIGINT');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    const stopping = await daemon.waitForLog('stopping: draining connections');
    expect(stopping.reason).toBe('SIGINT');
    await daemon.waitForLog('stopped');
    expect(existsSync(sandbox.lockFile)).toBe(false);
  });

  it('is reported as starting by evergreenctl (exit 3), not as absent', async () => {
    const sandbox = await createSandbox();
    const { daemon, go } = await slowStart(sandbox);

    const run = await ctl(['status', '--socket', sandbox.socket]);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`evergreenctl: Cannot reach the daemon: evergreend (pid ${daemon.pid}) is starting: it holds "${sandbox.lockFile}" and does not answer at "${sandbox.socket}" yet; try again in a moment\n`);

    await go();
    await daemon.started();
    expect((await ctl(['status', '--socket', sandbox.socket])).code).toBe(0);
  });

  it('takes a SIGHUP as a reload once it has started, instead of dying of it', async () => {
    const sandbox = await createSandbox();
    const { daemon, go } = await slowStart(sandbox);

    daemon.signal('SIGHUP');
    await daemon.waitForLog('SIGHUP: the daemon is starting; it reloads the config once started');
    await go();
    await daemon.started();
    const { report } = await daemon.waitForLog('SIGHUP: config reloaded');
    expect(report).toMatchObject({ unchanged: ['first', 'slow'], failed: [] });
    expect(daemon.running).toBe(true);
  });
});
