import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/ctl/daemon-client.js';
import type { DaemonStatus } from '../../src/protocol/results.js';
import { ctl } from '../ctl/ctl-helpers.js';
import { cleanUp, connectTo, createSandbox, holdPort, runDaemon, startDaemon, targetOf, type Client } from '../daemon-process.js';
import { httpRequest, parseText, valueOf } from './scrape.js';

/**
 * The metrics endpoint of a real `evergreend`: where `evergreenctl status`
 * shows it, what /healthz and /readyz say over the process's life, and how a
 * bind failure or a bad block ends the start.
 */

const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cleanUp();
});

/** Polls (bounded) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>, tries = 500, everyMs = 10): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`Gave up waiting for ${what} after ${tries} tries`);
}

/** A held client connection to `uri`, closed after the test. */
async function hold(uri: string): Promise<Client> {
  const client = await connectTo(targetOf(uri));
  clients.push(client);
  return client;
}

describe('evergreend with a metrics block', () => {
  it('shows the bound address in status, is live and ready while it serves, and turns unready at SIGTERM while it drains', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, drainMs: 30_000 }], metrics: { listen: 'tcp://127.0.0.1:0' } });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [echo] = await daemon.started();

    const status = JSON.parse((await ctl(['--socket', sandbox.socket, 'status', '--json'])).stdout) as DaemonStatus;
    const address = status.metrics?.address;
    expect(address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(status.metrics).toEqual({ listen: 'tcp://127.0.0.1:0', address });
    const human = await ctl(['--socket', sandbox.socket, 'status']);
    expect(human.stdout.split('\n')).toContain(`metrics     ${address} (/metrics, /healthz, /readyz)`);
    const started = await daemon.waitForLog('evergreend started');
    expect(started.metrics).toBe(address);

    expect(await httpRequest(address!, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await httpRequest(address!, '/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
    const control = await DaemonClient.connect(sandbox.socket);
    clients.push(control);
    await until('the control connection to be counted', async () => valueOf(parseText((await httpRequest(address!, '/metrics')).body), 'evergreen_control_connections') >= 1);

    const held = await hold(echo!);
    expect((await held.roundTrip('before\n')).toString()).toBe('before\n');
    daemon.signal('SIGTERM');
    await until('/readyz to answer 503', async () => (await httpRequest(address!, '/readyz')).status === 503);
    // Still draining: the held connection is served, and /metrics with it.
    expect(daemon.running).toBe(true);
    expect((await held.roundTrip('during\n')).toString()).toBe('during\n');
    expect((await httpRequest(address!, '/healthz')).status).toBe(503);
    const families = parseText((await httpRequest(address!, '/metrics')).body);
    expect(valueOf(families, 'evergreen_server_current_connections', { server: 'echo' })).toBe(1);
    expect(valueOf(families, 'evergreen_server_up', { server: 'echo' })).toBe(0);

    held.close();
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('exits 1 with the bind error when the metrics address is taken, as for a server\'s', async () => {
    const sandbox = await createSandbox();
    const port = await holdPort();
    await sandbox.writeConfig({ servers: [], metrics: { listen: `tcp://127.0.0.1:${port}` } });
    const run = await runDaemon(sandbox, ['--socket', sandbox.socket, '--config', sandbox.configFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^evergreend: Cannot start the metrics endpoint on tcp://127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
  });

  it('--check names the endpoint, and a block that does not validate exits 2 naming metrics.listen', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [], metrics: { listen: 'tcp://127.0.0.1:9464' } });
    const check = await runDaemon(sandbox, ['--check', '--socket', sandbox.socket, '--config', sandbox.configFile]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('metrics: tcp://127.0.0.1:9464 (/metrics, /healthz, /readyz)');

    await sandbox.writeConfig({ servers: [], metrics: { listen: 'udp://127.0.0.1:9464' } });
    const bad = await runDaemon(sandbox, ['--socket', sandbox.socket, '--config', sandbox.configFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('metrics.listen');
  });

  it('a daemon without the block says so in status: metrics off', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    await daemon.started();
    const human = await ctl(['--socket', sandbox.socket, 'status']);
    expect(human.stdout.split('\n')).toContain('metrics     off');
  });
});
