import { describe, expect, it } from 'vitest';
import { renderTop } from '../../src/ctl/top-view.js';
import type { DaemonStatus, ServerInfo, ServerStatsInfo } from '../../src/protocol/results.js';

describe('top with a tls:// server', () => {
  const status = { name: 'evergreend', version: '1.0.0', pid: 7, node: 'v20', startedAt: 0, uptimeMs: 61_000, configFile: null, stateFile: '/s', logLevel: 'info', servers: { total: 2, listening: 2, paused: 0, stopping: 0 }, connections: 0, memory: { rss: 0, heapUsed: 0 } } satisfies DaemonStatus;
  const stats: ServerStatsInfo = { accepted: 0, active: 0, refused: { denied: 0, maxConnections: 0, maxPerSource: 0, paused: 0, resources: 0 }, bytesIn: 0, bytesOut: 0, errors: 0, since: 0 };
  const server = (name: string, listen: string, tls?: ServerStatsInfo['tls']): ServerInfo => ({
    name, listen, address: listen, handler: { type: 'echo' }, origin: 'config', state: 'listening', pausedMode: null, spec: { name, listen, handler: { type: 'echo' } }, stats: { ...stats, tls },
  });

  it('adds a handshakes column (ok/resumed/failed) only when one is listed', () => {
    const plain = renderTop({ status, servers: [server('plain', 'tcp://127.0.0.1:9')], rates: undefined }, { columns: 120, rows: 8 });
    expect(plain[3]).not.toContain('HANDSHAKES');
    const tls = { ok: 12, resumed: 3, inProgress: 0, meanHandshakeMs: 1, failed: { 'not-tls': 2, 'handshake-timeout': 1 } };
    const lines = renderTop({ status, servers: [server('api', 'tls://127.0.0.1:8443', tls), server('plain', 'tcp://127.0.0.1:9')], rates: undefined }, { columns: 120, rows: 8 });
    expect(lines[3]).toMatch(/HANDSHAKES ok\/resumed\/failed$/);
    expect(lines[4]).toMatch(/^api .* 12\/3\/3$/);
    expect(lines[5]).toMatch(/^plain .* -$/);
  });
});
