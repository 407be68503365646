import type { WinSize } from '@evergreen/tty';
import type { DaemonStatus, ServerInfo } from '../protocol/results.js';
import { describeHandler } from './describe-server.js';
import { formatTable } from './format-table.js';
import { formatDuration, formatRate } from './human-units.js';
import type { Rates } from './rate-meter.js';

/** What one refresh of `top` fetched. */
export interface TopSnapshot {
  status: DaemonStatus;
  servers: ServerInfo[];
  rates: Rates | undefined;
}

/** `12/3/1` (ok, resumed, failed) for a tls:// server, `-` for another. */
function describeHandshakes(server: ServerInfo): string {
  const handshakes = server.stats.tls;
  if (handshakes === undefined) return '-';
  const failed = Object.values(handshakes.failed).reduce((sum, n) => sum + n, 0);
  return `${handshakes.ok}/${handshakes.resumed}/${failed}`;
}

/**
 * The lines of `top`'s screen for a terminal of `size`: a header with the daemon and
 * the total rates, a table of servers (state, address, active connections,
 * bytes/s in and out; handshakes when a tls:// server is listed), and the key help and size on the last row. Servers that do
 * not fit are counted in a "… more" row. Pure; cost O(servers).
 */
export function renderTop(snapshot: TopSnapshot, size: WinSize): string[] {
  const { rows } = size;
  const { status, servers, rates } = snapshot;
  const rate = (value: number | undefined): string => (value === undefined ? '-' : formatRate(value));
  const header = [
    `${status.name} ${status.version}  pid ${status.pid}  up ${formatDuration(status.uptimeMs)}  log ${status.logLevel}`,
    `servers ${status.servers.total} (${status.servers.listening} listening, ${status.servers.paused} paused)  connections ${status.connections}  in ${rate(rates?.total.in)}  out ${rate(rates?.total.out)}`,
    '',
  ];
  // A TLS column only when a tls:// server is shown: plain screens stay as they were.
  const tls = servers.some((server) => server.stats.tls !== undefined);
  const table = formatTable(
    [
      { title: 'NAME' }, { title: 'STATE' }, { title: 'ADDRESS' }, { title: 'HANDLER' }, { title: 'ACTIVE', right: true }, { title: 'ACCEPTED', right: true }, { title: 'IN/s', right: true }, { title: 'OUT/s', right: true },
      ...(tls ? [{ title: 'HANDSHAKES ok/resumed/failed' }] : []),
    ],
    servers.map((server) => {
      const serverRate = rates?.servers.get(server.name);
      return [
        server.name,
        server.pausedMode === null ? server.state : `paused (${server.pausedMode})`,
        server.address ?? server.listen,
        describeHandler(server.handler),
        String(server.stats.active),
        String(server.stats.accepted),
        rate(serverRate?.in),
        rate(serverRate?.out),
        ...(tls ? [describeHandshakes(server)] : []),
      ];
    }),
  );
  const room = Math.max(rows - header.length - 1, 1);
  const shown = table.length <= room ? table : [...table.slice(0, room - 1), `… ${table.length - room + 1} more`];
  const body = [...header, ...shown];
  const padding = Array.from({ length: Math.max(rows - body.length - 1, 0) }, () => '');
  return [...body, ...padding, `q quit · ${size.columns}x${rows} · refreshed every second`];
}
