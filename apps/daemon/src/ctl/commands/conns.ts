import type { Command } from 'commander';
import { methodParams, type MethodOptions } from '../../protocol/methods.js';
import type { ConnectionPage } from '../../protocol/results.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { formatTable } from '../format-table.js';
import { formatBytes, formatDuration } from '../human-units.js';
import { numberOrText } from '../server-flags.js';
import { registerConnsKill } from './conns-kill.js';

interface ListFlags {
  server?: string;
  source?: string;
  limit?: string;
  offset?: string;
  json?: boolean;
}

const FLAG_OF: Readonly<Record<string, string>> = { server: '--server', source: '--source', limit: '--limit', offset: '--offset' };

/** `evergreenctl conns [list] [--server S] [--source A] [--limit N] [--offset N] [--json]`, and `conns kill ID`. */
export function registerConns(program: Command, ctx: CtlContext): void {
  const conns = program.command('conns').description('list the active connections (UDP: client sessions), or close one (kill)');
  conns
    .command('list', { isDefault: true })
    .description('list the active connections, a page at a time (the default)')
    .option('--server <name>', 'only this server\'s')
    .option('--source <address>', 'only those from this source address')
    .option('--limit <n>', 'at most this many (1-1000; default 100)')
    .option('--offset <n>', 'skip this many first')
    .option('--json', 'print the page as JSON: { total, offset, items }')
    .action(async (flags: ListFlags) => {
      const query = checkOptions(methodParams['connections.list'], connectionQuery(flags), 'Cannot list connections', (path) => FLAG_OF[path]);
      const page = await (await ctx.connect()).listConnections(query);
      if (flags.json === true) ctx.printJson(page);
      else ctx.print(connectionTable(page));
    });
  registerConnsKill(conns, ctx);
}

function connectionQuery(flags: ListFlags): MethodOptions<'connections.list'> {
  const query: Record<string, unknown> = {};
  if (flags.server !== undefined) query.server = flags.server;
  if (flags.source !== undefined) query.source = flags.source;
  if (flags.limit !== undefined) query.limit = numberOrText(flags.limit);
  if (flags.offset !== undefined) query.offset = numberOrText(flags.offset);
  return query as MethodOptions<'connections.list'>;
}

function connectionTable(page: ConnectionPage): string[] {
  if (page.items.length === 0) return [page.total === 0 ? 'no connections' : `no connections at offset ${page.offset} (${page.total} in all)`];
  const now = Date.now();
  // TLS columns only when a TLS connection is listed: plain listings stay as they were.
  const tls = page.items.some((conn) => conn.tls !== undefined);
  const table = formatTable(
    [{ title: 'ID' }, { title: 'SERVER' }, { title: 'SOURCE' }, { title: 'AGE', right: true }, { title: 'IDLE', right: true }, { title: 'IN', right: true }, { title: 'OUT', right: true }, ...(tls ? [{ title: 'TLS' }, { title: 'PEER' }, { title: 'ALPN' }] : [])],
    page.items.map((conn) => [
      conn.id, conn.server, conn.source, formatDuration(now - conn.startedAt), formatDuration(now - conn.lastActivity), formatBytes(conn.bytesIn), formatBytes(conn.bytesOut),
      ...(tls ? [conn.tls?.version ?? '-', conn.tls?.peer ?? '-', conn.tls?.alpn ?? '-'] : []),
    ]),
  );
  const last = page.offset + page.items.length;
  return last < page.total || page.offset > 0 ? [...table, `(${page.offset + 1}-${last} of ${page.total}; see --offset)`] : table;
}
