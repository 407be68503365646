import type { Command } from 'commander';
import type { DaemonStats } from '../../protocol/results.js';
import type { CtlContext } from '../ctl-context.js';
import { formatTable } from '../format-table.js';
import { formatBytes, formatDuration } from '../human-units.js';

/** `evergreenctl stats [--json]`: every server's counters and their totals. */
export function registerStats(program: Command, ctx: CtlContext): void {
  program
    .command('stats')
    .description('show each server\'s counters (accepted, active, refused, bytes, errors) and the totals')
    .option('--json', 'print the counters as JSON')
    .action(async (flags: { json?: boolean }) => {
      const stats = await (await ctx.connect()).stats();
      if (flags.json === true) ctx.printJson(stats);
      else ctx.print(statsTable(stats));
    });
}

function statsTable(stats: DaemonStats): string[] {
  const rows = Object.entries(stats.servers).map(([name, s]) => {
    const refused = Object.values(s.refused).reduce((sum, count) => sum + count, 0);
    return [name, String(s.accepted), String(s.active), String(refused), formatBytes(s.bytesIn), formatBytes(s.bytesOut), String(s.errors)];
  });
  const t = stats.totals;
  rows.push(['(total)', String(t.accepted), String(t.active), String(t.refused), formatBytes(t.bytesIn), formatBytes(t.bytesOut), String(t.errors)]);
  const columns = [{ title: 'SERVER' }, ...['ACCEPTED', 'ACTIVE', 'REFUSED', 'IN', 'OUT', 'ERRORS'].map((title) => ({ title, right: true }))];
  return [...formatTable(columns, rows), `uptime ${formatDuration(stats.uptimeMs)}`];
}
