import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/ctl/format-table.js';
import { formatBytes, formatDuration } from '../../src/ctl/human-units.js';
import { RateMeter } from '../../src/ctl/rate-meter.js';
import { renderTop } from '../../src/ctl/top-view.js';
import type { DaemonStats, DaemonStatus, ServerInfo } from '../../src/protocol/results.js';

function stats(servers: Record<string, [number, number]>): DaemonStats {
  const entries = Object.entries(servers).map(([name, [bytesIn, bytesOut]]) => [name, { accepted: 0, active: 0, refused: { denied: 0, maxConnections: 0, maxPerSource: 0, paused: 0, resources: 0 }, bytesIn, bytesOut, errors: 0, since: 0 }] as const);
  const sum = (index: 0 | 1): number => Object.values(servers).reduce((total, pair) => total + pair[index], 0);
  return { servers: Object.fromEntries(entries), totals: { accepted: 0, active: 0, refused: 0, bytesIn: sum(0), bytesOut: sum(1), errors: 0 }, uptimeMs: 0 };
}

describe('RateMeter', () => {
  it('has no rate for the first sample, then bytes per second from the counters\' difference', () => {
    const meter = new RateMeter();
    expect(meter.sample(stats({ a: [1000, 0] }), 10_000)).toBeUndefined();
    const rates = meter.sample(stats({ a: [3000, 500], b: [10, 10] }), 12_000)!;
    expect(rates.servers.get('a')).toEqual({ in: 1000, out: 250 });
    expect(rates.servers.has('b')).toBe(false);
    expect(rates.total).toEqual({ in: 1000, out: 250 });
  });

  it('totals only the servers in both samples: a removed server is no burst, a new one adds nothing yet', () => {
    const meter = new RateMeter();
    meter.sample(stats({ a: [1000, 1000], gone: [50_000_000, 50_000_000] }), 0);
    const rates = meter.sample(stats({ a: [3000, 1500], fresh: [700, 700] }), 2000)!;
    expect(rates.total).toEqual({ in: 1000, out: 250 });
    expect([...rates.servers.keys()]).toEqual(['a']);
  });

  it('counts from zero when a counter went down (the server was added again)', () => {
    const meter = new RateMeter();
    meter.sample(stats({ a: [5000, 5000] }), 0);
    expect(meter.sample(stats({ a: [100, 0] }), 1000)!.servers.get('a')).toEqual({ in: 100, out: 0 });
  });
});

describe('formatting for people', () => {
  it('lays out a table with numbers right-aligned and no trailing spaces', () => {
    expect(formatTable([{ title: 'NAME' }, { title: 'N', right: true }, { title: 'NOTE' }], [['a', '5', ''], ['long', '123', 'x']])).toEqual(['NAME    N  NOTE', 'a       5', 'long  123  x']);
  });

  it('writes bytes in binary units and durations in two units', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 KiB', '5.0 GiB']);
    expect([formatDuration(999), formatDuration(93_000), formatDuration(90_061_000), formatDuration(3_600_000)]).toEqual(['0s', '1m 33s', '1d 1h', '1h']);
  });
});

describe('renderTop', () => {
  const status = { name: 'evergreend', version: '1.0.0', pid: 7, node: 'v20', startedAt: 0, uptimeMs: 61_000, configFile: null, stateFile: '/s', logLevel: 'info', servers: { total: 30, listening: 30, paused: 0, stopping: 0 }, connections: 0, memory: { rss: 0, heapUsed: 0 } } satisfies DaemonStatus;
  const server = (name: string): ServerInfo => ({ name, listen: 'tcp://127.0.0.1:0', address: 'tcp://127.0.0.1:9', handler: { type: 'echo' }, origin: 'config', state: 'listening', pausedMode: null, spec: { name, listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }, stats: stats({ [name]: [0, 0] }).servers[name]! });

  it('fills exactly the terminal\'s rows, counting the servers that do not fit', () => {
    const lines = renderTop({ status, servers: Array.from({ length: 30 }, (_, n) => server(`s${n}`)), rates: undefined }, { columns: 80, rows: 12 });
    expect(lines).toHaveLength(12);
    expect(lines[11]).toBe('q quit · 80x12 · refreshed every second');
    expect(lines[10]).toBe('… 24 more');
    expect(lines[4]).toMatch(/^s0 +listening +tcp:\/\/127\.0\.0\.1:9 +echo +0 +0 +- +-$/);
  });
});
