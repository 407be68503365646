import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, createSandbox, exchange, holdPort, runDaemon, startDaemon, type DaemonProcess } from './daemon-process.js';

/** The embedded default's address: fixed by design, so this file cannot use port 0 for it. */
const DEFAULT_PORT = 7007;
const DEFAULT_URI = `tcp://127.0.0.1:${DEFAULT_PORT}`;

afterEach(cleanUp);

/** A default daemon started where 7007 is taken: it must exit 1 with one message naming the address. */
async function expectAddressInUse(daemon: DaemonProcess): Promise<void> {
  expect((await daemon.waitForExit()).code).toBe(1);
  expect(daemon.stderr).toMatch(/^evergreend: Cannot start server "echo" on tcp:\/\/127\.0\.0\.1:7007: .*EADDRINUSE.*\n$/);
}

describe('a fresh start from the embedded default config', () => {
  it('--check with no config file and empty XDG dirs shows the echo server on tcp://127.0.0.1:7007', async () => {
    const sandbox = await createSandbox();
    const result = await runDaemon(sandbox, ['--check']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('config (embedded default) is valid; it would run:');
    expect(result.stdout).toContain(`  echo: ${DEFAULT_URI} -> echo`);
    expect(result.stdout).toContain(`control socket: ${sandbox.env.XDG_RUNTIME_DIR}/evergreen/control.sock`);
    expect(result.stdout).toContain(`state: ${sandbox.env.XDG_STATE_HOME}/evergreen`);
  });

  it('serves echo on 127.0.0.1:7007 when the port is free, and exits 1 naming the address when it is taken', async () => {
    const sandbox = await createSandbox();
    const daemon = startDaemon(sandbox);
    const outcome = await Promise.race([daemon.started().then(() => 'started' as const), daemon.exited.then(() => 'exited' as const)]);
    if (outcome === 'exited') {
      // 7007 is someone else's on this machine: the daemon must say so, and it must be true.
      await expectAddressInUse(daemon);
      await expect(holdPort(DEFAULT_PORT)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      return;
    }
    expect(await daemon.started()).toEqual([DEFAULT_URI]);
    expect(await exchange({ port: DEFAULT_PORT }, 'hello evergreen\n')).toBe('hello evergreen\n');
    daemon.signal('SIGTERM');
    expect((await daemon.waitForExit()).code).toBe(0);
    // The other branch, on purpose: with 7007 held here, the same start fails.
    await holdPort(DEFAULT_PORT);
    await expectAddressInUse(startDaemon(sandbox));
  });
});
