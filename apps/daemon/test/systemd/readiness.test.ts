import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildHandle, cleanUp, createSandbox, exchange, startDaemon, targetOf, type Sandbox } from '../daemon-process.js';
import { startCtl } from '../ctl/ctl-helpers.js';

afterEach(cleanUp);

const RECEIVER = fileURLToPath(new URL('../fixtures/notify-receiver.py', import.meta.url));
const LISTEN_ENV = fileURLToPath(new URL('../fixtures/listen-env.mjs', import.meta.url));

/** A NOTIFY_SOCKET receiver (python3) in the sandbox; resolves once it is bound. */
async function notifyReceiver(sandbox: Sandbox): Promise<{ path: string; child: ChildHandle }> {
  const path = join(sandbox.dir, 'notify.sock');
  const child = new ChildHandle([RECEIVER, path], sandbox.env, 'python3');
  await child.waitForLine('the receiver listening', (line) => (line.includes('"listening"') ? true : undefined));
  return { path, child };
}

/** A datagram the receiver printed: its line number and text. */
interface Received {
  line: number;
  message: string;
}

/** Resolves the first datagram after line `after` that holds every one of `parts` as a line of its own (bounded by the receiver's wait). */
function messageWith(receiver: { child: ChildHandle }, parts: readonly string[], after = -1): Promise<Received> {
  let line = -1;
  return receiver.child.waitForLine(`a message with ${parts.join(' and ')}`, (text) => {
    line += 1;
    const message = (JSON.parse(text) as { message?: string }).message;
    if (line <= after || message === undefined) return undefined;
    return parts.every((part) => message.split('\n').includes(part)) ? { line, message } : undefined;
  });
}

describe('readiness (NOTIFY_SOCKET, through systemd-notify)', () => {
  it('says READY=1 with a STATUS once serving, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 on SIGTERM; the notify variables leave its environment', async () => {
    const sandbox = await createSandbox();
    const receiver = await notifyReceiver(sandbox);
    await sandbox.writeConfig({ servers: [{ name: 'env', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: LISTEN_ENV } }] });
    sandbox.env.NOTIFY_SOCKET = receiver.path;
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [uri] = await daemon.started();
    const ready = await messageWith(receiver, ['READY=1']);
    expect(ready.message).toContain(`STATUS=serving 1 servers (1 listening, 0 paused); control socket ${sandbox.socket}`);
    expect(JSON.parse(await exchange(targetOf(uri!), ''))).toEqual({});

    daemon.signal('SIGHUP');
    const reloading = await messageWith(receiver, ['RELOADING=1'], ready.line);
    expect(reloading.message).toMatch(/^MONOTONIC_USEC=\d+$/m);
    const readyAgain = await messageWith(receiver, ['READY=1'], reloading.line);

    daemon.signal('SIGTERM');
    await messageWith(receiver, ['STOPPING=1'], readyAgain.line);
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('pings WATCHDOG=1 at half of WATCHDOG_USEC', async () => {
    const sandbox = await createSandbox();
    const receiver = await notifyReceiver(sandbox);
    sandbox.env.NOTIFY_SOCKET = receiver.path;
    sandbox.env.WATCHDOG_USEC = '200000';
    await sandbox.writeConfig({ servers: [] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    await daemon.started();
    const first = await messageWith(receiver, ['WATCHDOG=1']);
    await messageWith(receiver, ['WATCHDOG=1'], first.line);
  });

  it('without systemd-notify, warns once and serves on', async () => {
    const sandbox = await createSandbox();
    const empty = join(sandbox.dir, 'empty-path');
    await mkdir(empty);
    sandbox.env.NOTIFY_SOCKET = join(sandbox.dir, 'nobody.sock');
    sandbox.env.PATH = empty;
    await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [uri] = await daemon.started();
    await daemon.waitForLog('systemd-notify not found: the service manager is not told of readiness, reloads or shutdown (install systemd\'s systemd-notify, or unset NOTIFY_SOCKET)');
    daemon.signal('SIGHUP');
    await daemon.waitForLog('SIGHUP: config reloaded');
    expect(await exchange(targetOf(uri!), 'still here\n')).toBe('still here\n');
    expect(daemon.lines.filter((line) => line.includes('systemd-notify not found'))).toHaveLength(1);
  });
});

describe('evergreenctl status --wait', () => {
  it('waits for a daemon started after it, until it is ready; gives up with exit 3 when none comes', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }] });
    const waiting = startCtl(['--socket', sandbox.socket, 'status', '--wait', '--timeout', '30000', '--json']);
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const run = await waiting.done;
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ pid: daemon.pid, ready: true, servers: { total: 1, listening: 1 } });

    const none = await startCtl(['--socket', join(sandbox.dir, 'none.sock'), 'status', '--wait', '--timeout', '300']).done;
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('no daemon answers at');
  });
});
