import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/daemon/logging/logger.js';
import { addressOf, afterTest, Client, config, connectSocket, expectRefused, loopbackServer, portOf, rejection, releaseAll, startDaemon, stateOnDisk, tempDir, type ServersInput } from './harness.js';

afterEach(releaseAll);

/** Binds a plain listener on 127.0.0.1:`port` and closes it again; rejects (EADDRINUSE) when the port is taken. */
async function bindAndRelease(port: number): Promise<void> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  await new Promise((resolve) => server.close(resolve));
}

describe('runtime changes to hosted servers', () => {
  it('serves a server added at runtime and records it in the state file when addServer resolves', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([], stateDir);

    const info = await daemon.addServer(loopbackServer('added'));

    expect((await stateOnDisk(stateDir)).runtime.added?.spec).toMatchObject({ name: 'added', listen: 'tcp://127.0.0.1:0' });
    expect({ state: info.state, origin: info.origin }).toEqual({ state: 'listening', origin: 'runtime' });
    expect(await (await Client.connect(info.address!)).exchange('hello\n')).toBe('hello\n');
  });

  it('refuses a second server of the same name with DaemonError already-exists, the first one untouched', async () => {
    const daemon = await startDaemon([loopbackServer('taken')]);
    const address = addressOf(daemon, 'taken');

    const error = await rejection(daemon.addServer(loopbackServer('taken')));

    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).kind).toBe('already-exists');
    expect(addressOf(daemon, 'taken')).toBe(address);
    expect(await (await Client.connect(address)).exchange('ok\n')).toBe('ok\n');
  });

  it('applies a lowered maxConnections from updateServer to new connections while the open ones go on', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('echo')], stateDir);
    const address = addressOf(daemon, 'echo');
    const open = [await Client.connect(address), await Client.connect(address)];
    for (const client of open) expect(await client.exchange('x\n')).toBe('x\n');

    await daemon.updateServer({ name: 'echo', maxConnections: 2 });

    expect((await stateOnDisk(stateDir)).runtime.echo?.spec?.maxConnections).toBe(2);
    await expectRefused(await Client.connect(address));
    expect(daemon.server('echo').stats.refused.maxConnections).toBe(1);
    for (const client of open) expect(await client.exchange('y\n')).toBe('y\n');
  });

  it('frees the port on pause unbind while an open connection keeps working, and serves again on resume', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('echo')], stateDir);
    const port = portOf(addressOf(daemon, 'echo'));
    const open = await Client.connect(addressOf(daemon, 'echo'));
    expect(await open.exchange('before\n')).toBe('before\n');

    const paused = await daemon.pauseServer('echo', 'unbind');

    expect({ state: paused.state, mode: paused.pausedMode, address: paused.address }).toEqual({ state: 'paused', mode: 'unbind', address: null });
    expect((await stateOnDisk(stateDir)).paused).toEqual({ echo: 'unbind' });
    await bindAndRelease(port);
    expect(await open.exchange('during\n')).toBe('during\n');

    const resumed = await daemon.resumeServer('echo');

    expect((await stateOnDisk(stateDir)).paused).toEqual({});
    expect(resumed.state).toBe('listening');
    expect(await (await Client.connect(resumed.address!)).exchange('after\n')).toBe('after\n');
  });

  it('keeps the port on pause refuse and closes each new connection at once, counted as paused', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('echo')], stateDir);
    const address = addressOf(daemon, 'echo');
    const open = await Client.connect(address);
    expect(await open.exchange('before\n')).toBe('before\n');

    await daemon.pauseServer('echo', 'refuse');

    expect((await stateOnDisk(stateDir)).paused).toEqual({ echo: 'refuse' });
    expect(addressOf(daemon, 'echo')).toBe(address);
    await expectRefused(await Client.connect(address));
    await expectRefused(await Client.connect(address));
    expect(daemon.server('echo').stats.refused.paused).toBe(2);
    expect(await open.exchange('during\n')).toBe('during\n');
  });

  it('lets a transfer in flight finish when removeServer drains, and resolves once it has', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([], stateDir);
    const address = (await daemon.addServer(loopbackServer('echo', 'echo', { drainMs: 10_000 }))).address!;
    const client = await Client.connect(address);
    expect(await client.exchange('start\n')).toBe('start\n');
    let removed = false;

    const removal = daemon.removeServer('echo').then((info) => ((removed = true), info));
    const payload = Buffer.alloc(1024 * 1024, 'z');
    client.socket.write(payload);
    const echoed = await client.read(payload.length);
    const stillRemoving = !removed;
    client.socket.end();
    const info = await removal;

    expect(echoed.equals(payload)).toBe(true);
    expect(stillRemoving).toBe(true);
    expect(info.state).toBe('stopped');
    expect((await client.ending()).how).toBe('eof');
    expect((await stateOnDisk(stateDir)).runtime).toEqual({});
    expect(daemon.listServers()).toEqual([]);
    await expect(connectSocket(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it.each([
    ['as soon as removeServer is called', false],
    ['once the removal is in the state file', true],
  ])('closes at once the connections of a server still draining after removeServer when the daemon shuts down with drain 0 (%s)', async (_when, recorded) => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('echo', 'echo', { drainMs: 60_000 })], stateDir);
    const client = await Client.connect(addressOf(daemon, 'echo'));
    expect(await client.exchange('a\n')).toBe('a\n');

    const removal = daemon.removeServer('echo');
    if (recorded) await until(() => daemon.status().servers.stopping === 1 && existsSync(join(stateDir, 'state.json')), 'the removal to be recorded');
    await daemon.shutdown(0);

    expect((await client.ending()).rest.length).toBe(0);
    expect((await removal).state).toBe('stopped');
  });

  it('resolves both a removal and a shutdown with the servers\' own drain as soon as the last draining connection ends', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('echo', 'echo', { drainMs: 60_000 })], stateDir);
    const client = await Client.connect(addressOf(daemon, 'echo'));
    expect(await client.exchange('a\n')).toBe('a\n');
    const removal = daemon.removeServer('echo');
    await until(() => existsSync(join(stateDir, 'state.json')), 'the removal to be recorded');
    const shutdown = daemon.shutdown();

    expect(await client.exchange('still served\n')).toBe('still served\n');
    client.socket.end();

    // Within the test's bound, far below the 60 s drain.
    await Promise.all([removal, shutdown]);
    expect((await client.ending()).how).toBe('eof');
  });

  it('closes a connection by id on the peer\'s side and leaves the others open', async () => {
    const daemon = await startDaemon([loopbackServer('echo')]);
    const address = addressOf(daemon, 'echo');
    const doomed = await Client.connect(address);
    expect(await doomed.exchange('a\n')).toBe('a\n');
    // The only connection so far: its id is the one listed.
    const [first] = daemon.listConnections({ server: 'echo' }).items;
    const kept = await Client.connect(address);
    expect(await kept.exchange('b\n')).toBe('b\n');

    expect(daemon.closeConnection(first!.id)).toEqual({ id: first!.id, closed: true });

    expect((await doomed.ending()).rest.length).toBe(0);
    expect(await kept.exchange('c\n')).toBe('c\n');
    await until(() => daemon.server('echo').stats.active === 1, 'the closed connection to be gone');
    expect(daemon.server('echo').stats.errors).toBe(0);
    expect(() => daemon.closeConnection(first!.id)).toThrow(expect.objectContaining({ kind: 'not-found' }));
  });

  it('lists connections filtered by server and source, page by page', async () => {
    const daemon = await startDaemon([loopbackServer('a'), loopbackServer('b')]);
    const clients: Client[] = [];
    for (const [server, source] of [['a', '127.0.0.1'], ['a', '127.0.0.1'], ['a', '127.0.0.2'], ['a', '127.0.0.2'], ['a', '127.0.0.2'], ['b', '127.0.0.2']] as const) {
      const client = await Client.connect(addressOf(daemon, server), source);
      expect(await client.exchange('hi\n')).toBe('hi\n');
      clients.push(client);
    }

    const fromOther = daemon.listConnections({ server: 'a', source: '127.0.0.2' });
    const pages = [0, 2, 4].map((offset) => daemon.listConnections({ offset, limit: 2 }));

    expect(daemon.listConnections({ server: 'a' }).total).toBe(5);
    expect(daemon.listConnections({ server: 'b' }).items.map((item) => item.server)).toEqual(['b']);
    expect(fromOther.total).toBe(3);
    expect(fromOther.items.map((item) => [item.server, item.source])).toEqual(Array(3).fill(['a', '127.0.0.2']));
    expect(pages.map((page) => [page.total, page.offset, page.items.length])).toEqual([[6, 0, 2], [6, 2, 2], [6, 4, 2]]);
    expect(new Set(pages.flatMap((page) => page.items.map((item) => item.id))).size).toBe(6);
    expect(daemon.listConnections({ offset: 5, limit: 2 }).items.length).toBe(1);
    for (const item of fromOther.items) expect(item.bytesIn).toBe(3);
  });

  it('comes back after a restart on the same state dir with the runtime changes and pauses in force', async () => {
    const stateDir = await tempDir();
    const servers: ServersInput = [loopbackServer('cfg'), loopbackServer('frozen'), loopbackServer('closed'), loopbackServer('gone')];
    const first = await startDaemon(servers, stateDir);
    await first.addServer(loopbackServer('added'));
    await first.updateServer({ name: 'cfg', maxConnections: 3 });
    await first.pauseServer('frozen', 'unbind');
    await first.pauseServer('closed', 'refuse');
    await first.removeServer('gone', 0);
    await first.shutdown(0);

    const second = new Daemon({ config: config(servers), configFile: null, stateDir, log: createLogger('silent') });
    afterTest(() => second.shutdown(0));
    await second.start();

    const byName = Object.fromEntries(second.listServers().map((info) => [info.name, info]));
    expect(Object.keys(byName).sort()).toEqual(['added', 'cfg', 'closed', 'frozen']);
    expect(byName.cfg!.spec.maxConnections).toBe(3);
    expect([byName.frozen!.pausedMode, byName.frozen!.address]).toEqual(['unbind', null]);
    expect(byName.closed!.pausedMode).toBe('refuse');
    await expectRefused(await Client.connect(byName.closed!.address!));
    expect(await (await Client.connect(byName.added!.address!)).exchange('back\n')).toBe('back\n');
  });
});
