import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildHandle, cleanUp, createSandbox, exchange, runDaemon, startDaemon, targetOf } from '../daemon-process.js';
import { httpRequest } from '../observe/scrape.js';

afterEach(cleanUp);

const RECEIVER = fileURLToPath(new URL('../fixtures/notify-receiver.py', import.meta.url));

/**
 * Kubernetes removes a pod's endpoints while SIGTERM is on its way: for a
 * while, connections still arrive. With a shutdown delay the daemon turns
 * unready and says STOPPING=1 at once, serves on through the delay, then
 * drains as always. The delay is long (the test ends it early by no means),
 * so the connection it makes lands in it even on a loaded machine.
 */
describe('shutdownDelayMs / --shutdown-delay-ms', () => {
  it('on SIGTERM: /readyz 503 and STOPPING=1 at once, a connection made during the delay is served, then it drains and exits 0', async () => {
    const sandbox = await createSandbox();
    const notify = join(sandbox.dir, 'notify.sock');
    const receiver = new ChildHandle([RECEIVER, notify], sandbox.env, 'python3');
    await receiver.waitForLine('the receiver listening', (line) => (line.includes('"listening"') ? true : undefined));
    sandbox.env.NOTIFY_SOCKET = notify;
    // The flag wins over the config's value.
    await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }], metrics: { listen: 'tcp://127.0.0.1:0' }, shutdownDelayMs: 1 });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile, '--shutdown-delay-ms', '8000']);
    const [echo] = await daemon.started();
    const metrics = (await daemon.waitForLog('evergreend started')).metrics as string;
    expect((await httpRequest(metrics, '/readyz')).status).toBe(200);

    daemon.signal('SIGTERM');
    const delaying = await daemon.waitForLog('stopping: not ready, still accepting for the shutdown delay');
    expect(delaying).toMatchObject({ reason: 'SIGTERM', delayMs: 8000 });
    expect((await httpRequest(metrics, '/readyz')).status).toBe(503);
    // Live all the same: a liveness probe must not restart a pod that is stopping on purpose.
    expect((await httpRequest(metrics, '/healthz')).status).toBe(200);
    await receiver.waitForLine('STOPPING=1', (line) => (line.includes('STOPPING=1') ? true : undefined));
    expect(await exchange(targetOf(echo!), 'routed here still\n')).toBe('routed here still\n');
    expect(daemon.lines.some((line) => line.includes('stopping: draining connections'))).toBe(false);

    await daemon.waitForLog('stopping: draining connections', () => true, 30_000);
    expect(await daemon.waitForExit(30_000)).toEqual({ code: 0, signal: null });
  });

  it('refuses a delay that is not whole milliseconds (exit 2)', async () => {
    const sandbox = await createSandbox();
    const run = await runDaemon(sandbox, ['--check', '--shutdown-delay-ms', '1.5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--shutdown-delay-ms 1.5: expected whole milliseconds, 0 to 2147483647');
  });
});
