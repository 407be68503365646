import { afterEach, describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import { addressOf, Client, config, loopbackServer, rejection, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

/** Long enough that only the test's own actions end the drain. */
const LONG_DRAIN_MS = 600_000;

describe('the connections of a server draining after a remove', () => {
  it('are counted by status, listed, and can be closed, which ends the drain; re-adding the name meanwhile is refused naming the drain', async () => {
    const daemon = await startDaemon([loopbackServer('kept'), loopbackServer('leaving')]);
    const client = await Client.connect(addressOf(daemon, 'leaving'));
    expect(await client.exchange('hold\n')).toBe('hold\n');

    const removing = daemon.removeServer('leaving', LONG_DRAIN_MS);
    const outcome = removing.then(
      (info) => info,
      (error: unknown) => error,
    );
    expect(daemon.listServers().map((server) => server.name)).toEqual(['kept']);
    expect(daemon.status()).toMatchObject({ connections: 1, servers: { total: 1, stopping: 1 } });
    const [listed] = daemon.listConnections().items;
    expect(listed).toMatchObject({ server: 'leaving', bytesIn: 5, bytesOut: 5 });
    expect(daemon.listConnections({ server: 'leaving' })).toMatchObject({ total: 1, items: [{ id: listed!.id }] });

    const refused = await rejection(daemon.addServer(loopbackServer('leaving')));
    expect(refused).toBeInstanceOf(DaemonError);
    expect(refused).toMatchObject({
      kind: 'busy',
      message: 'Cannot add server "leaving": it is draining after a remove, 1 connection left (connections.list with server "leaving" shows them, connections.close ends them)',
    });

    expect(daemon.closeConnection(listed!.id)).toEqual({ id: listed!.id, closed: true });
    expect((await client.ending()).how).toBe('eof');
    expect(await outcome).toMatchObject({ name: 'leaving', state: 'stopped' });
    expect(daemon.status()).toMatchObject({ connections: 0, servers: { stopping: 0 } });
    expect((await daemon.addServer(loopbackServer('leaving'))).state).toBe('listening');
  });

  it('of a server a reload restarted are listed under its name beside the new one, and can be closed', async () => {
    const daemon = await startDaemon([{ ...loopbackServer('changed'), drainMs: LONG_DRAIN_MS }]);
    const client = await Client.connect(addressOf(daemon, 'changed'));
    expect(await client.exchange('old\n')).toBe('old\n');

    const report = await daemon.reload({ config: config([{ ...loopbackServer('changed', 'discard'), drainMs: LONG_DRAIN_MS }]) });
    expect(report.restarted).toEqual(['changed']);
    expect(daemon.status().connections).toBe(1);
    const page = daemon.listConnections({ server: 'changed' });
    expect(page.total).toBe(1);
    daemon.closeConnection(page.items[0]!.id);
    expect((await client.ending()).how).toBe('eof');
    expect(daemon.listConnections()).toMatchObject({ total: 0, items: [] });
  });
});
