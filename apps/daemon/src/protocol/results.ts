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
  /** With workers: how its listener is shared among them (absent without workers). */
  sharing?: ListenerSharing;
}

/**
 * How a server's listener is shared among the worker processes:
 * `round-robin` (tcp, tls: the primary holds the listening socket and hands
 * each connection to the next worker), `reuse-port` (udp where Node has
 * `reusePort`, ≥ 22.12: every worker of the generation binds the port with
 * `SO_REUSEPORT`, and the kernel keeps each client's datagrams on one of
 * them) or `single-worker` (udp elsewhere: one worker of the generation
 * holds the socket, so a client's datagrams stay in one process).
 */
export type ListenerSharing = 'round-robin' | 'reuse-port' | 'single-worker';

/** A worker process as `status.workers` lists it. */
export interface WorkerInfo {
  pid: number;
  /** 1 for the first workers; each rolling restart starts the next. */
  generation: number;
  /** Its place among the workers of its generation (0 … workers − 1). */
  slot: number;
  /** `starting` (loading its servers), `serving`, or `draining` (an older generation finishing its connections). */
  state: 'starting' | 'serving' | 'draining';
  startedAt: number;
  /** Its active connections, as of its last report (at most a second old, or this request's). */
  connections: number;
  rss: number;
  heapUsed: number;
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
  /** With workers: the pid of the worker process serving it. */
  worker?: number;
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
  /**
   * The worker processes serving the connections (`workers` ≥ 1): empty
   * when this process serves them itself. `connections` and `memory` above
   * are then the whole daemon's (the workers' sums, plus the primary's memory).
   */
  workers?: WorkerInfo[];
  /** Workers that died or stopped answering and were replaced since the start. */
  workersReplaced?: number;
  /** The current generation of workers (0 without workers). */
  generation?: number;
  /** With workers: how each server's listener is shared among them. */
  sharing?: Record<string, ListenerSharing>;
}

/** `workers.restart`: the generation now serving (old ones drain in the background). */
export interface WorkersRestartResult {
  generation: number;
  workers: WorkerInfo[];
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
