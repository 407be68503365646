import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectTo, createSandbox, exchange, runDaemon, type Sandbox } from '../daemon-process.js';
import { ctl } from '../ctl/ctl-helpers.js';
import { freePort, startActivated } from './activation.js';

afterEach(cleanUp);

const LISTEN_ENV = fileURLToPath(new URL('../fixtures/listen-env.mjs', import.meta.url));

/** Sends `text` from a fresh udp6 socket to [::1]:`port` and resolves the first reply (bounded). */
async function udpRoundTrip(port: number, text: string): Promise<string> {
  const socket = createSocket('udp6');
  try {
    socket.bind(0, '::1');
    await once(socket, 'listening');
    const reply = once(socket, 'message', { signal: AbortSignal.timeout(15_000) });
    socket.send(text, port, '::1');
    return String((await reply)[0]);
  } finally {
    socket.close();
  }
}

async function serversOf(sandbox: Sandbox): Promise<{ name: string; address: string | null; state: string }[]> {
  const run = await ctl(['--socket', sandbox.socket, 'servers', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { name: string; address: string | null; state: string }[];
}

describe('socket activation (systemd-socket-activate passes the sockets)', () => {
  it('serves tcp, unix and udp6 sockets by sd://NAME and fd://N, shows their real addresses, never unlinks the unix one', async () => {
    const sandbox = await createSandbox();
    const tcpPort = await freePort('tcp', '127.0.0.1');
    const udpPort = await freePort('udp6', '::1');
    const unixPath = join(sandbox.dir, 'web.sock');
    await sandbox.writeConfig({
      servers: [
        { name: 'web', listen: 'sd://web', handler: { type: 'echo' } },
        { name: 'local', listen: 'sd://local', handler: { type: 'echo' } },
        { name: 'dns', listen: 'fd://3', handler: { type: 'echo' } },
        { name: 'env', listen: 'sd://env', handler: { type: 'module', path: LISTEN_ENV } },
      ],
    });
    const envPort = await freePort('tcp', '127.0.0.1');
    const daemon = await startActivated(sandbox, [
      { listen: `[::1]:${udpPort}`, name: 'dns', datagram: true },
      { listen: `127.0.0.1:${tcpPort}`, name: 'web' },
      { listen: unixPath, name: 'local' },
      { listen: `127.0.0.1:${envPort}`, name: 'env' },
    ], ['--config', sandbox.configFile]);

    // The outer systemd-socket-activate starts everything on this first datagram, which waits in the socket for the daemon.
    expect(await udpRoundTrip(udpPort, 'first datagram')).toBe('first datagram');
    const addresses = await daemon.started();
    expect(addresses).toEqual([`tcp://127.0.0.1:${tcpPort}`, `pipe://${unixPath}`, `udp://[::1]:${udpPort}`, `tcp://127.0.0.1:${envPort}`]);
    expect(await exchange({ port: tcpPort }, 'over tcp\n')).toBe('over tcp\n');
    expect(await exchange({ path: unixPath }, 'over unix\n')).toBe('over unix\n');
    expect(await udpRoundTrip(udpPort, 'over udp')).toBe('over udp');
    // Removed before anything could be spawned: a handler module (and its children) sees none of them.
    expect(JSON.parse(await exchange({ port: envPort }, ''))).toEqual({});

    expect((await serversOf(sandbox)).map(({ name, address, state }) => ({ name, address, state }))).toEqual([
      { name: 'web', address: `tcp://127.0.0.1:${tcpPort}`, state: 'listening' },
      { name: 'local', address: `pipe://${unixPath}`, state: 'listening' },
      { name: 'dns', address: `udp://[::1]:${udpPort}`, state: 'listening' },
      { name: 'env', address: `tcp://127.0.0.1:${envPort}`, state: 'listening' },
    ]);

    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    // The socket file is the .socket unit's: it outlives the daemon.
    expect(existsSync(unixPath)).toBe(true);
  });

  it('an unbind pause keeps the passed socket (its address stays), a resume and a reload serve it again', async () => {
    const sandbox = await createSandbox();
    const port = await freePort('tcp', '127.0.0.1');
    const server = (type: string) => ({ servers: [{ name: 'web', listen: 'sd://web', handler: { type } }] });
    await sandbox.writeConfig(server('echo'));
    const daemon = await startActivated(sandbox, [{ listen: `127.0.0.1:${port}`, name: 'web' }], ['--config', sandbox.configFile]);
    // systemd-socket-activate starts the daemon on this first connection, which waits in the backlog.
    expect(await exchange({ port }, 'first\n')).toBe('first\n');
    await daemon.started();

    const held = await connectTo({ port });
    expect((await held.roundTrip('held\n')).toString()).toBe('held\n');
    const paused = await ctl(['--socket', sandbox.socket, 'servers', 'pause', 'web', '--mode', 'unbind']);
    expect(paused.code, paused.stderr).toBe(0);
    // Not served while paused, yet the descriptor is kept: connections are taken and closed at once.
    expect(await exchange({ port }, 'paused\n')).toBe('');
    expect((await serversOf(sandbox))[0]).toMatchObject({ state: 'paused', address: `tcp://127.0.0.1:${port}` });
    expect((await held.roundTrip('still held\n')).toString()).toBe('still held\n');
    held.close();

    expect((await ctl(['--socket', sandbox.socket, 'servers', 'resume', 'web'])).code).toBe(0);
    expect(await exchange({ port }, 'resumed\n')).toBe('resumed\n');

    // A reload that changes the server hands the same descriptor to its new incarnation.
    await sandbox.writeConfig(server('discard'));
    daemon.signal('SIGHUP');
    expect((await daemon.waitForLog('SIGHUP: config reloaded')).report).toMatchObject({ restarted: ['web'], failed: [] });
    expect(await exchange({ port }, 'discarded\n')).toBe('');
    expect((await serversOf(sandbox))[0]).toMatchObject({ state: 'listening', address: `tcp://127.0.0.1:${port}` });
  });

  it('a name or number not passed in is a config error naming it (exit 2)', async () => {
    const sandbox = await createSandbox();
    for (const [listen, why] of [
      ['sd://missing', 'Cannot use "sd://missing": no socket named "missing" was passed in (passed: fd 3 "web")'],
      ['fd://4', 'Cannot use "fd://4": fd 4 was not passed in (passed: fd 3 "web")'],
    ] as const) {
      const port = await freePort('tcp', '127.0.0.1');
      await sandbox.writeConfig({ servers: [{ name: 'web', listen, handler: { type: 'echo' } }] });
      const daemon = await startActivated(sandbox, [{ listen: `127.0.0.1:${port}`, name: 'web' }], ['--config', sandbox.configFile]);
      await connectTo({ port }).then((client) => client.close());
      expect(await daemon.waitForExit()).toEqual({ code: 2, signal: null });
      expect(daemon.stderr).toContain(why);
    }
  });

  it('two servers cannot serve one passed socket: the second fails to start like a bind (exit 1)', async () => {
    const sandbox = await createSandbox();
    const port = await freePort('tcp', '127.0.0.1');
    await sandbox.writeConfig({ servers: ['first', 'second'].map((name) => ({ name, listen: 'sd://web', handler: { type: 'echo' } })) });
    const daemon = await startActivated(sandbox, [{ listen: `127.0.0.1:${port}`, name: 'web' }], ['--config', sandbox.configFile]);
    await connectTo({ port }).then((client) => client.close());
    expect(await daemon.waitForExit()).toEqual({ code: 1, signal: null });
    expect(daemon.stderr).toContain('Cannot start server "second" on sd://web: sd://web (fd 3) is served by another server');
  });

  it('LISTEN_FDS meant for another process (LISTEN_PID) pass nothing', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [{ name: 'web', listen: 'sd://web', handler: { type: 'echo' } }] });
    sandbox.env.LISTEN_PID = '1';
    sandbox.env.LISTEN_FDS = '1';
    sandbox.env.LISTEN_FDNAMES = 'web';
    const run = await runDaemon(sandbox, ['--check', '--config', sandbox.configFile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Cannot use "sd://web": no socket named "web" was passed in (none were: LISTEN_FDS is unset, or meant for another process)');
  });
});
