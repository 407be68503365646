import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectTo, createSandbox, startDaemon, targetOf } from './daemon-process.js';

afterEach(cleanUp);

/** Echoes lines, reading each with its context's signal (the README's pattern). */
const LINES = fileURLToPath(new URL('./host/fixtures/lines-until-told.mjs', import.meta.url));

/** The server's drain: far longer than this test waits for the daemon to exit (20 s), so a drain that runs its course fails it. */
const DRAIN_MS = 60_000;
const EXIT_BOUND_MS = 20_000;

describe('SIGTERM with idle module-handler connections', () => {
  it('the handlers, told through their signal, end at once: the clients see the end, then the daemon exits 0', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [{ name: 'lines', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: LINES }, drainMs: DRAIN_MS }] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [address] = await daemon.started();
    const clients = [await connectTo(targetOf(address!)), await connectTo(targetOf(address!))];
    for (const [n, client] of clients.entries()) expect((await client.roundTrip(`line ${n}\n`)).toString()).toBe(`line ${n}\n`);

    const events: string[] = [];
    const ends = clients.map((client, n) =>
      client.rest().then(
        (rest) => events.push(`client ${n} ended after ${rest.length} more bytes`),
        (error: Error) => events.push(`client ${n}: ${error.message}`),
      ),
    );
    const exit = daemon.waitForExit(EXIT_BOUND_MS).then((how) => {
      events.push('daemon exited');
      return how;
    });
    daemon.signal('SIGTERM');

    expect(await exit).toEqual({ code: 0, signal: null });
    await Promise.all(ends);
    // Both connections were ended (cleanly, nothing left unsent) before the daemon exited.
    expect(events.slice(0, 2).sort()).toEqual(['client 0 ended after 0 more bytes', 'client 1 ended after 0 more bytes']);
    expect(events[2]).toBe('daemon exited');
    const records = daemon.lines.map((line) => JSON.parse(line) as { msg: string });
    expect(records.map((record) => record.msg)).toContain('stopped');
    expect(records.filter((record) => record.msg.startsWith('handler failed'))).toEqual([]);
  });
});
