import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/daemon/config/config-file.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/daemon/logging/logger.js';
import { RateMeter } from '../../src/ctl/rate-meter.js';
import type { DaemonStats, ServerStatsInfo } from '../../src/protocol/results.js';
import { addressOf, afterTest, Client, config, loopbackServer, rejection, releaseAll, startDaemon, stateOnDisk, tempDir } from './harness.js';

afterEach(releaseAll);

/** Server names that are also properties every plain object inherits. */
const INHERITED = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];

describe('servers named like the properties of Object.prototype', () => {
  it('serve and report as listening, added at runtime, from the config, after a reload and after a restart', async () => {
    const stateDir = await tempDir();
    const [first, ...rest] = INHERITED;
    const daemon = await startDaemon([loopbackServer(first!)], stateDir);
    for (const name of rest.slice(0, 3)) await daemon.addServer(loopbackServer(name));
    await daemon.reload({ config: config([loopbackServer(first!), ...rest.slice(3).map((name) => loopbackServer(name))]) });

    for (const server of daemon.listServers()) expect({ name: server.name, state: server.state, pausedMode: server.pausedMode }).toEqual({ name: server.name, state: 'listening', pausedMode: null });
    expect(daemon.listServers().map((server) => server.name).sort()).toEqual([...INHERITED].sort());
    expect(await (await Client.connect(addressOf(daemon, 'constructor'))).exchange('hi\n')).toBe('hi\n');
    expect(Object.keys(daemon.stats().servers).sort()).toEqual([...INHERITED].sort());

    await daemon.pauseServer('valueOf', 'refuse');
    await daemon.shutdown(0);
    const again = new Daemon({ config: config([loopbackServer(first!)]), configFile: null, stateDir, log: createLogger('silent') });
    try {
      await again.start();
      const states = Object.fromEntries(again.listServers().map((server) => [server.name, server.pausedMode]));
      expect(states).toEqual({ constructor: null, toString: null, valueOf: 'refuse', hasOwnProperty: null });
      await again.resumeServer('valueOf');
      expect(again.server('valueOf')).toMatchObject({ state: 'listening', pausedMode: null });
      expect((await stateOnDisk(stateDir)).paused).toEqual({});
    } finally {
      await again.shutdown(0);
    }
  });

  it('a state file keyed by something no server may be named is refused naming the key; a __proto__ key reaches no object', async () => {
    const stateDir = await tempDir();
    const start = async (state: unknown): Promise<Daemon> => {
      await writeFile(join(stateDir, 'state.json'), JSON.stringify(state).replace('"proto"', '"__proto__"'));
      const daemon = new Daemon({ config: config([]), configFile: null, stateDir, log: createLogger('silent') });
      afterTest(() => daemon.shutdown(0));
      await daemon.start();
      return daemon;
    };
    const error = await rejection(start({ version: 1, runtime: {}, paused: { 'not a name': 'refuse' } }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('paused["not a name"]: got "refuse"; expected a server name as the key');

    const spec = loopbackServer('sneaky');
    const daemon = await start({ version: 1, runtime: { proto: { spec, configBase: null } }, paused: {} });
    expect(daemon.listServers()).toEqual([]);
    expect(Object.getPrototypeOf(daemon.getConfig().state.runtime)).toBe(Object.prototype);
  });

  it('evergreenctl top rates a server named like an inherited property from its first sample on, not as a burst', () => {
    const meter = new RateMeter();
    const stats = (servers: Record<string, number>): DaemonStats => ({
      servers: Object.fromEntries(Object.entries(servers).map(([name, bytes]) => [name, { bytesIn: bytes, bytesOut: bytes } as ServerStatsInfo])),
      totals: { accepted: 0, active: 0, refused: 0, bytesIn: 0, bytesOut: 0, errors: 0 },
      uptimeMs: 0,
    });
    meter.sample(stats({ echo: 100 }), 1_000);
    const rates = meter.sample(stats({ echo: 300, constructor: 5_000 }), 2_000)!;
    expect([...rates.servers.keys()]).toEqual(['echo']);
    expect(rates.total).toEqual({ in: 200, out: 200 });
  });
});
