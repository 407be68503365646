import type { ConnectionInfo, PauseMode, ServerInfo, ServerOrigin, ServerState, ServerStatsInfo } from '../../protocol/results.js';
import type { ServerSpec } from '../../protocol/server-spec.js';

/** An active connection as the daemon lists and filters it. */
export interface ConnectionView {
  readonly id: string;
  readonly source: string;
  readonly endpoints: { readonly peer?: string };
  info(): ConnectionInfo;
}

/**
 * A server the daemon hosts, as the daemon drives it: a `HostedServer` in
 * this process, or a `WorkerHost` whose connections are served by worker
 * processes. Every change resolves once it is in force (in every worker)
 * and rejects, with nothing changed, when it cannot be made.
 */
export interface ServerHost {
  readonly name: string;
  readonly spec: ServerSpec;
  readonly origin: ServerOrigin;
  readonly state: ServerState;
  readonly pausedMode: PauseMode | null;
  /** The active connections (of a worker host: as of its last snapshot). */
  readonly connections: Iterable<ConnectionView>;
  /** Binds and serves, or starts paused (`unbind`: without binding); `BindError` when the address cannot be had. */
  start(pausedMode?: PauseMode | null): Promise<void>;
  pause(mode: PauseMode): Promise<void>;
  resume(): Promise<void>;
  /** New limits and lists, from the next connection on. */
  update(spec: ServerSpec, origin: ServerOrigin): void | Promise<void>;
  /** Releases the address, drains up to `drainMs`, closes the rest. */
  stop(drainMs?: number): Promise<void>;
  setLogLevel(level: string): void;
  /** Closes one connection; false when it is not this server's. */
  closeConnection(id: string): boolean;
  stats(): ServerStatsInfo;
  info(): ServerInfo;
}
