import { afterEach, describe, expect, it } from 'vitest';
import { addressOf, Client, config, connectSocket, loopbackServer, releaseAll, startDaemon, type ServersInput } from './harness.js';

afterEach(releaseAll);

const BEFORE: ServersInput = [loopbackServer('keep'), loopbackServer('change'), loopbackServer('drop', 'echo', { drainMs: 10_000 })];
const AFTER: ServersInput = [loopbackServer('keep'), loopbackServer('change', 'discard'), loopbackServer('added')];

/** A client of each named server that has had one line echoed. */
async function echoingClients(daemon: Awaited<ReturnType<typeof startDaemon>>, names: string[]): Promise<Record<string, Client>> {
  const clients: Record<string, Client> = {};
  for (const name of names) {
    clients[name] = await Client.connect(addressOf(daemon, name));
    expect(await clients[name]!.exchange(`${name}\n`)).toBe(`${name}\n`);
  }
  return clients;
}

describe('reload by difference', () => {
  it('keeps an unchanged server and its connection, restarts a changed one, drains a removed one, starts an added one', async () => {
    const daemon = await startDaemon(BEFORE);
    const before = Object.fromEntries(['keep', 'change', 'drop'].map((name) => [name, addressOf(daemon, name)]));
    const clients = await echoingClients(daemon, ['keep', 'change', 'drop']);

    const report = await daemon.reload({ config: config(AFTER) });

    expect(report).toMatchObject({ dryRun: false, unchanged: ['keep'], restarted: ['change'], removed: ['drop'], added: ['added'], conflicts: [], failed: [] });
    // Unchanged: same listener, same connection.
    expect(addressOf(daemon, 'keep')).toBe(before.keep);
    expect(await clients.keep!.exchange('again\n')).toBe('again\n');
    // Restarted: the new listener runs the new handler (discard: nothing comes back); the old connection drains on the old one.
    const discarded = await Client.connect(addressOf(daemon, 'change'));
    discarded.socket.end('dropped\n');
    expect((await discarded.ending()).rest.length).toBe(0);
    expect(await clients.change!.exchange('old handler\n')).toBe('old handler\n');
    // Removed: no longer listed or listening; its open connection goes on while it drains.
    expect(daemon.listServers().map((info) => info.name).sort()).toEqual(['added', 'change', 'keep']);
    await expect(connectSocket(before.drop!)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await clients.drop!.exchange('draining\n')).toBe('draining\n');
    // Added: serving.
    expect(await (await Client.connect(addressOf(daemon, 'added'))).exchange('new\n')).toBe('new\n');
  });

  it('changes nothing on a dry run, and reports what it would do', async () => {
    const daemon = await startDaemon(BEFORE);
    const before = daemon.listServers().map((info) => [info.name, info.address, info.handler.type]);

    const report = await daemon.reload({ config: config(AFTER), dryRun: true });

    expect(report).toMatchObject({ dryRun: true, unchanged: ['keep'], restarted: ['change'], removed: ['drop'], added: ['added'] });
    expect(daemon.listServers().map((info) => [info.name, info.address, info.handler.type])).toEqual(before);
    expect(await (await Client.connect(addressOf(daemon, 'drop'))).exchange('still\n')).toBe('still\n');
    expect(daemon.getConfig().config.servers.map((spec) => spec.name)).toEqual(['keep', 'change', 'drop']);
  });

  it('reports a conflict when a server changed at runtime is then changed in the config, and keeps the runtime change', async () => {
    const daemon = await startDaemon([loopbackServer('cfg')]);
    await daemon.updateServer({ name: 'cfg', maxConnections: 5 });

    const report = await daemon.reload({ config: config([loopbackServer('cfg', 'echo', { maxPerSource: 7 })]) });

    expect(report.conflicts.map((conflict) => conflict.name)).toEqual(['cfg']);
    expect(daemon.getConfig().conflicts.map((conflict) => conflict.name)).toEqual(['cfg']);
    expect(daemon.server('cfg').spec).toMatchObject({ maxConnections: 5 });
    expect(daemon.server('cfg').spec.maxPerSource).toBeUndefined();
  });
});
