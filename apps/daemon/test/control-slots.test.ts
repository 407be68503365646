import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ctl } from './ctl/ctl-helpers.js';
import { SpecClient } from './control-daemon/spec-client.js';
import { cleanUp, createSandbox, startDaemon } from './daemon-process.js';

const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await cleanUp();
});

/** A control connection that sends nothing, ever; destroyed after the test. */
async function silent(path: string): Promise<Socket> {
  const socket = connect(path);
  sockets.push(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

const echo = { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };

describe('control connection slots of a real evergreend', () => {
  it('64 clients that connect and send nothing do not lock the operator out: status and shutdown get through', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    await daemon.started();
    for (let i = 0; i < 64; i++) await silent(sandbox.socket);

    const status = await ctl(['status', '--json', '--socket', sandbox.socket]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ pid: daemon.pid });
    await daemon.waitForLog('Closing the control connection idle longest: every connection is taken and another client came');

    const shutdown = await ctl(['shutdown', '--drain-ms', '0', '--socket', sandbox.socket]);
    expect(shutdown).toMatchObject({ code: 0, stdout: 'evergreend stopped\n' });
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('control.idleTimeoutMs from the config is reported by hello and closes a connection idle that long', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo], control: { idleTimeoutMs: 300 } });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    await daemon.started();
    const client = await SpecClient.connect(sandbox.socket);
    try {
      expect(await client.call('hello')).toMatchObject({ limits: { idleTimeoutMs: 300 } });
      await client.ended;
      expect(client.notifications).toEqual([[2, 'error', [{ code: -32003, message: 'Closing the control connection: idle for 300 ms (control.idleTimeoutMs)' }]]]);
    } finally {
      client.close();
    }
  });
});
