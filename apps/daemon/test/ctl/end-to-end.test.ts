import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ConnectionPage, DaemonStats, DaemonStatus, ReloadReport, ServerInfo } from '../../src/protocol/results.js';
import type { DaemonConfigView } from '../../src/ctl/daemon-client.js';
import { onCleanup } from '../helpers.js';
import { ctl, ctlJson, startCtl, startDaemon, type RunningDaemon } from './ctl-helpers.js';

/** Each test starts its own daemon and runs several CLI processes: a bound, not a speed assertion. */
const E2E_TIMEOUT_MS = 180_000;

/** The port of a `tcp://host:port` URI. */
function portOf(uri: string | null): number {
  return Number(/:(\d+)$/.exec(uri ?? '')![1]);
}

/** A loopback client connection, closed after the test. */
async function dial(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  onCleanup(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** Writes `text` and resolves once as many bytes came back (the socket stays open). */
async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  let received = '';
  for (let chunks = 0; chunks < text.length && received.length < text.length; chunks++) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received += String(chunk);
  }
  return received;
}

async function addServer(daemon: RunningDaemon, name: string, ...flags: string[]): Promise<ServerInfo> {
  return ctlJson<ServerInfo>([...daemon.flag, 'servers', 'add', name, 'tcp://127.0.0.1:0', ...flags]);
}

describe('evergreenctl against a running evergreend', () => {
  it('servers add starts a server that echoes a real connection; conns lists it and conns kill closes it on the peer\'s side', async () => {
    const daemon = await startDaemon();
    const added = await addServer(daemon, 'extra');
    expect(added).toMatchObject({ name: 'extra', state: 'listening', origin: 'runtime', handler: { type: 'echo' } });
    const peer = await dial(portOf(added.address));
    expect(await roundTrip(peer, 'ping')).toBe('ping');

    const page = await ctlJson<ConnectionPage>([...daemon.flag, 'conns', '--server', 'extra']);
    expect(page.total).toBe(1);
    const [conn] = page.items;
    expect(conn).toMatchObject({ server: 'extra', source: '127.0.0.1', bytesIn: 4 });
    const table = await ctl([...daemon.flag, 'conns']);
    expect(table.stdout).toMatch(new RegExp(`^ID +SERVER +PEER[^\\n]*\\n${conn!.id} +extra +127\\.0\\.0\\.1:${conn!.peer!.split(':')[1]} `));

    const closed = once(peer, 'close');
    const kill = await ctl([...daemon.flag, 'conns', 'kill', conn!.id]);
    expect(kill).toMatchObject({ code: 0, stdout: `connection ${conn!.id} closed\n` });
    await closed;
    expect((await ctlJson<ConnectionPage>([...daemon.flag, 'conns', '--server', 'extra'])).total).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('servers pause --mode unbind frees the port, resume binds it again, and rm forgets the server', async () => {
    const daemon = await startDaemon();
    const server = await addServer(daemon, 'pausable');
    const port = portOf(server.address);
    const paused = await ctlJson<ServerInfo>([...daemon.flag, 'servers', 'pause', 'pausable', '--mode', 'unbind']);
    expect(paused).toMatchObject({ state: 'paused', pausedMode: 'unbind' });
    // The port is free: this process can listen on it, then gives it back.
    const squatter = createServer();
    squatter.listen(port, '127.0.0.1');
    await once(squatter, 'listening');
    await new Promise((resolve) => squatter.close(resolve));

    const resumed = await ctl([...daemon.flag, 'servers', 'resume', 'pausable']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^server "pausable" resumed: listening on tcp:\/\/127\.0\.0\.1:\d+\n$/);
    const again = (await ctlJson<ServerInfo[]>([...daemon.flag, 'servers'])).find((each) => each.name === 'pausable')!;
    expect(await roundTrip(await dial(portOf(again.address)), 'back')).toBe('back');

    expect(await ctl([...daemon.flag, 'servers', 'rm', 'pausable', '--drain-ms', '0'])).toMatchObject({ code: 0 });
    expect((await ctlJson<ServerInfo[]>([...daemon.flag, 'servers'])).map((each) => each.name)).toEqual(['echo']);
  }, E2E_TIMEOUT_MS);

  it('servers set changes a running server\'s limits, reload --dry-run changes nothing, and every listing\'s --json parses', async () => {
    const daemon = await startDaemon();
    await addServer(daemon, 'limited', '--max-connections', '5');
    const set = await ctlJson<ServerInfo>([...daemon.flag, 'servers', 'set', 'limited', '--max-connections', '2', '--deny', '10.0.0.0/8,192.168.0.0/16']);
    expect(set.spec).toMatchObject({ maxConnections: 2, deny: ['10.0.0.0/8', '192.168.0.0/16'] });

    const before = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    const report = await ctlJson<ReloadReport>([...daemon.flag, 'reload', '--dry-run']);
    expect(report).toMatchObject({ dryRun: true, added: [], removed: [], restarted: [], failed: [] });
    const after = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    expect(after.map(({ name, address, state, spec }) => ({ name, address, state, spec }))).toEqual(before.map(({ name, address, state, spec }) => ({ name, address, state, spec })));

    const status = await ctlJson<DaemonStatus>([...daemon.flag, 'status']);
    expect(status).toMatchObject({ name: 'evergreend', pid: daemon.pid, servers: { total: 2, listening: 2 } });
    const stats = await ctlJson<DaemonStats>([...daemon.flag, 'stats']);
    expect(Object.keys(stats.servers).sort()).toEqual(['echo', 'limited']);
    const config = await ctlJson<DaemonConfigView>([...daemon.flag, 'config', 'show']);
    expect(config.file).toBe(daemon.configFile);
    expect(config.config.servers.map((server) => server.name)).toEqual(['echo']);
    expect(await ctlJson<{ level: string }>([...daemon.flag, 'log-level', 'debug'])).toEqual({ level: 'debug' });
    expect((await ctlJson<DaemonStatus>([...daemon.flag, 'status'])).logLevel).toBe('debug');
  }, E2E_TIMEOUT_MS);

  it('exits 1 with the daemon\'s message and data when it refuses', async () => {
    const daemon = await startDaemon();
    const duplicate = await ctl([...daemon.flag, 'servers', 'add', 'echo', 'tcp://127.0.0.1:0']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/^evergreenctl: Cannot add server "echo": a server of that name exists\n/);

    const [echo] = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    const inUse = await ctl([...daemon.flag, 'servers', 'add', 'clash', echo!.address!]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/\n {2}code: EADDRINUSE\n/);

    const missing = await ctl([...daemon.flag, 'servers', 'resume', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
  }, E2E_TIMEOUT_MS);

  it('logs -f prints records as the daemon writes them; shutdown stops the daemon and logs -f then exits 3', async () => {
    const daemon = await startDaemon();
    const follower = startCtl([...daemon.flag, 'logs', '-f', '--json']);
    const records: Record<string, unknown>[] = [];
    let buffered = '';
    const sawAdded = new Promise<void>((resolve) => {
      follower.child.stdout!.on('data', (chunk: Buffer) => {
        buffered += String(chunk);
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) records.push(JSON.parse(line) as Record<string, unknown>);
        if (records.some((record) => record.msg === 'server added')) resolve();
      });
    });
    // The follower subscribes in its own time: add servers until one is seen (bounded).
    for (let n = 0; n < 20 && !records.some((record) => record.msg === 'server added'); n++) {
      await addServer(daemon, `logged-${n}`);
      await Promise.race([sawAdded, new Promise((resolve) => setTimeout(resolve, 1000))]);
    }
    expect(records.some((record) => record.msg === 'server added')).toBe(true);

    const shutdown = await ctl([...daemon.flag, 'shutdown', '--drain-ms', '100']);
    expect(shutdown).toMatchObject({ code: 0, stdout: 'evergreend stopped\n' });
    expect(await daemon.exited).toBe(0);
    const ended = await follower.done;
    expect(ended.code).toBe(3);
    expect(ended.stderr).toContain('Cannot follow the log further: the daemon went away');
    expect(records.some((record) => record.msg === 'stopping: draining connections')).toBe(true);
    expect((await ctl([...daemon.flag, 'status'])).code).toBe(3);
  }, E2E_TIMEOUT_MS);
});
