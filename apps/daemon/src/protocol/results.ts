import type { HandlerSpec, ServerSpec } from './server-spec.js';
import type { ServerTlsInfo, TlsConnectionInfo, TlsHandshakeStats, TlsReloadResult } from './tls-results.js';

/**
 * What the daemon's methods resolve (and the control pipe sends back): the
 * daemon builds these, the CLI reads them. Times are milliseconds since the
 * epoch; sizes are bytes.
 */

/** Why a connection was refused; each is counted apart. */
export type RefusalReason = 'denied' | 'maxConnections' | 'maxPerSource' | 'paused' | 'resources';

/** Where a hosted server is in its life. */
export type ServerState = 'starting' | 'listening' | 'paused' | 'stopping' | 'stopped';

/** `unbind` releases the address; `refuse` keeps it and closes each new connection (counted). */
export type PauseMode = 'unbind' | 'refuse';

/** Where a server's definition comes from: the config file, or a change made while running. */
export type ServerOrigin = 'config' | 'runtime';

/** A server's counters. */
export interface ServerStatsInfo {
  accepted: number;
  active: number;
  refused: Record<RefusalReason, number>;
  bytesIn: number;
  bytesOut: number;
  /** Handler failures (not the daemon's own closes). */
  errors: number;
  /** When counting started (the server was added). */
  since: number;
  /** A tls:// server's handshakes. */
  tls?: TlsHandshakeStats;
}

/** A server as `servers.list` shows it. */
export interface ServerInfo {
  name: string;
  listen: string;
  /** The bound address as a URI (port 0 resolved), or null while not bound. */
  address: string | null;
  handler: HandlerSpec;
  origin: ServerOrigin;
  state: ServerState;
  /** How the server is paused, when it is. */
  pausedMode: PauseMode | null;
  spec: ServerSpec;
  stats: ServerStatsInfo;
  /** A tls:// server's certificate and credential files. */
  tls?: ServerTlsInfo;
}

/** An active connection (UDP: a client session) as `connections.list` shows it. */
export interface ConnectionInfo {
  id: string;
  server: string;
  source: string;
  /** The client's `address:port` (`[v6]:port`); absent for a pipe, which has no peer address. */
  peer?: string;
  /** Where it was accepted: the socket's own `address:port`, or a pipe's path. */
  local?: string;
  startedAt: number;
  bytesIn: number;
  bytesOut: number;
  /** The last time bytes moved either way (brought up to date at most once a second). */
  lastActivity: number;
  /** A TLS connection's peer identity and session. */
  tls?: TlsConnectionInfo;
}

/** A page of `connections.list`. */
export interface ConnectionPage {
  /** How many connections match the filter. */
  total: number;
  offset: number;
  items: ConnectionInfo[];
}

/** `status`: the daemon at a glance. */
export interface DaemonStatus {
  name: 'evergreend';
  version: string;
  pid: number;
  node: string;
  startedAt: number;
  uptimeMs: number;
  configFile: string | null;
  stateFile: string;
  logLevel: string;
  servers: { total: number; listening: number; paused: number; stopping: number };
  connections: number;
  memory: { rss: number; heapUsed: number };
  /**
   * The metrics endpoint (`/metrics`, `/healthz`, `/readyz`): its configured
   * URI and bound address (port 0 resolved; null while not bound), or null
   * when off. Absent from daemons older than the endpoint.
   */
  metrics?: { listen: string; address: string | null } | null;
  /**
   * Whether new connections should be sent here, as `/readyz` says: every
   * configured server bound, and no shutdown begun. Absent from daemons
   * older than it.
   */
  ready?: boolean;
}

/** `stats`: every server's counters and their sum. */
export interface DaemonStats {
  servers: Record<string, ServerStatsInfo>;
  totals: { accepted: number; active: number; refused: number; bytesIn: number; bytesOut: number; errors: number };
  uptimeMs: number;
}

/** A server that the config and a runtime change define differently since the change was made. */
export interface Conflict {
  name: string;
  reason: string;
}

/** What a reload did, or (dry run) would do. */
export interface ReloadReport {
  dryRun: boolean;
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
  conflicts: Conflict[];
  /** Servers that could not be started (the old one, if any, keeps running); `(metrics)` names the metrics endpoint. */
  failed: { name: string; message: string }[];
  /** The credential files of the unchanged tls:// servers, read again (absent on a dry run). */
  tls?: TlsReloadResult[];
}
