import { describe, expect, it } from 'vitest';
import { MAX_SERVERS, REPLY_LIMITS } from '../../src/protocol/limits.js';
import type { DaemonStats } from '../../src/protocol/results.js';
import { ctl, ctlJson, startDaemon } from './ctl-helpers.js';

/** Starting MAX_SERVERS listeners and running the CLI a few times: a bound, not a speed assertion. */
const TEST_TIMEOUT_MS = 120_000;

describe('the daemon hosts at most MAX_SERVERS servers', () => {
  it('leaves room in a reply map for stats and config.get', () => {
    expect(2 * MAX_SERVERS).toBeLessThanOrEqual(REPLY_LIMITS.maxMapLength);
  });

  it('refuses to add one more with -32006 (exit 1), and stats still reads every server', async () => {
    const servers = Array.from({ length: MAX_SERVERS }, (_, n) => ({ name: `s${n}`, listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }));
    const daemon = await startDaemon(servers);
    const run = await ctl([...daemon.flag, 'servers', 'add', 'extra', 'tcp://127.0.0.1:0']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain(`evergreenctl: Cannot add server "extra": that makes ${MAX_SERVERS + 1} servers, more than the ${MAX_SERVERS} a daemon hosts`);
    const stats = await ctlJson<DaemonStats>([...daemon.flag, 'stats']);
    expect(Object.keys(stats.servers)).toHaveLength(MAX_SERVERS);
  }, TEST_TIMEOUT_MS);
});
