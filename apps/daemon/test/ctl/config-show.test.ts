import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DaemonConfigView } from '../../src/ctl/daemon-client.js';
import { ctl, ctlJson, startDaemon } from './ctl-helpers.js';

/** A run starts a daemon and two CLI processes: a bound, not a speed assertion. */
const E2E_TIMEOUT_MS = 120_000;

describe('evergreenctl config show', () => {
  it("shows the config as validated, as docs/cli.md says: the top-level defaults filled in, a server's unset limits left unset", async () => {
    const server = { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };
    const daemon = await startDaemon([server]);
    expect(JSON.parse(readFileSync(daemon.configFile, 'utf8'))).toEqual({ servers: [server] });

    const view = await ctlJson<DaemonConfigView>([...daemon.flag, 'config', 'show']);

    expect(view.file).toBe(daemon.configFile);
    expect(view.config).toEqual({ servers: [server], log: { level: 'info' }, transports: {}, control: { idleTimeoutMs: 600_000 }, moduleLoadTimeoutMs: 30_000, shutdownDelayMs: 0, workers: 0 });
    const shown = await ctl([...daemon.flag, 'config', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`# config file: ${daemon.configFile}`);
    expect(shown.stdout).toContain('"level": "info"');
    expect(shown.stdout).not.toContain('maxConnections');
  }, E2E_TIMEOUT_MS);
});
