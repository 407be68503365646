import type { ServerInfo } from '../protocol/results.js';
import type { HandlerSpec } from '../protocol/server-spec.js';
import { formatTable } from './format-table.js';
import { formatBytes } from './human-units.js';

/** The servers as a table, one row each. */
export function serverTable(list: readonly ServerInfo[]): string[] {
  return formatTable(
    [{ title: 'NAME' }, { title: 'STATE' }, { title: 'ADDRESS' }, { title: 'HANDLER' }, { title: 'ORIGIN' }, { title: 'ACTIVE', right: true }, { title: 'ACCEPTED', right: true }, { title: 'IN', right: true }, { title: 'OUT', right: true }],
    list.map((server) => [
      server.name,
      server.pausedMode === null ? server.state : `${server.state} (${server.pausedMode})`,
      server.address ?? server.listen,
      describeHandler(server.handler),
      server.origin,
      String(server.stats.active),
      String(server.stats.accepted),
      formatBytes(server.stats.bytesIn),
      formatBytes(server.stats.bytesOut),
    ]),
  );
}

/** `echo`, `forward -> tcp://…`, `module ./h.mjs#name`. */
export function describeHandler(handler: HandlerSpec): string {
  if (handler.type === 'forward') return `forward -> ${handler.target}`;
  if (handler.type === 'module') return `module ${handler.path}${handler.export === undefined ? '' : `#${handler.export}`}`;
  return handler.type;
}

/** One line saying what happened to a server: `server "echo" added: listening on tcp://127.0.0.1:7007`. */
export function describeServerChange(server: ServerInfo, what: string): string {
  const where = server.address ?? server.listen;
  const state = server.pausedMode === null ? server.state : `${server.state} (${server.pausedMode})`;
  return `server "${server.name}" ${what}: ${state} on ${where}`;
}
