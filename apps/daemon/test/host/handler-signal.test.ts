import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon/daemon.js';
import { addressOf, afterTest, Client, config, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

/** Echoes lines, reading each with its context's signal. */
const LINES = fileURLToPath(new URL('./fixtures/lines-until-told.mjs', import.meta.url));

/**
 * Far longer than any wait of these tests (a client waits 15 s at most for
 * an ending): a drain that runs its course fails the test instead of
 * passing slowly.
 */
const LONG_DRAIN_MS = 60_000;

const linesServer = (name: string) => ({ name, listen: 'tcp://127.0.0.1:0', handler: { type: 'module' as const, path: LINES }, drainMs: LONG_DRAIN_MS });

/** Two clients of `name` whose handlers are each waiting for their next line. */
async function idleClients(daemon: Daemon, name: string): Promise<Client[]> {
  const clients: Client[] = [];
  for (const n of [1, 2]) {
    const client = await Client.connect(addressOf(daemon, name));
    expect(await client.exchange(`line ${n}\n`)).toBe(`line ${n}\n`);
    clients.push(client);
  }
  return clients;
}

/** The `closedBy` of every connection of `server` that closes from now on. */
function closings(daemon: Daemon, server: string): string[] {
  const seen: string[] = [];
  afterTest(daemon.subscribe((topic, event) => {
    if (topic === 'connections' && event.type === 'close' && event.server === server) seen.push(String(event.closedBy));
  }));
  return seen;
}

describe("a module handler's signal", () => {
  it('is aborted when its server is removed: the drain ends when the handlers do, not after drainMs, and no handler counts as failed', async () => {
    const daemon = await startDaemon([linesServer('lines')]);
    const clients = await idleClients(daemon, 'lines');
    const closedBy = closings(daemon, 'lines');

    const removed = daemon.removeServer('lines');

    for (const client of clients) expect(await client.ending()).toEqual({ how: 'eof', rest: Buffer.alloc(0) });
    const info = await removed;
    expect(info.state).toBe('stopped');
    expect(info.stats.errors).toBe(0);
    expect(closedBy).toEqual(['stopping', 'stopping']);
  });

  it('is aborted when a reload drops or replaces its server', async () => {
    const daemon = await startDaemon([linesServer('dropped'), linesServer('replaced')]);
    const dropped = await idleClients(daemon, 'dropped');
    const replaced = await idleClients(daemon, 'replaced');

    const report = await daemon.reload({ config: config([{ ...linesServer('replaced'), maxConnections: 5 }]) });

    expect(report).toMatchObject({ removed: ['dropped'], restarted: ['replaced'], failed: [] });
    for (const client of [...dropped, ...replaced]) expect((await client.ending()).how).toBe('eof');
  });

  it('is left alone by a pause that unbinds: the handler goes on serving', async () => {
    const daemon = await startDaemon([linesServer('paused')]);
    const clients = await idleClients(daemon, 'paused');

    await daemon.pauseServer('paused', 'unbind');

    for (const client of clients) expect(await client.exchange('still here\n')).toBe('still here\n');
    expect(daemon.server('paused').stats.active).toBe(2);
  });
});
