import type { ConnectionInfo, ListenerSharing, PauseMode, ServerInfo, ServerOrigin, ServerStatsInfo } from '../../protocol/results.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import type { LogLevel } from '../../protocol/log-level.js';
import type { ServerTlsInfo, TlsReloadResult } from '../../protocol/tls-results.js';
import { DaemonError, type DaemonErrorKind } from '../daemon-error.js';
import { BindError } from '../hosting/bind-error.js';

/**
 * The calls the primary makes of a worker over the cluster IPC channel, one
 * request and one reply each, matched by `id`. Each names a hosted server
 * by the primary's `host` number (a server's old and new host, during a
 * reload, are two numbers under one name). Messages are JSON
 * (`child_process`' default serialization): plain data only.
 */
export interface WorkerCalls {
  /** Builds and starts a host: `listen` is the URI to bind (port 0 already resolved by the primary), with `SO_REUSEPORT` when `sharing` is `reuse-port`. */
  start: { params: { host: number; spec: ServerSpec; listen: string; sharing: ListenerSharing; origin: ServerOrigin; paused: PauseMode | null; configFile: string | null; transports: Record<string, string>; timeoutMs: number }; result: ServerInfo };
  pause: { params: { host: number; mode: PauseMode }; result: null };
  resume: { params: { host: number }; result: null };
  update: { params: { host: number; spec: ServerSpec; origin: ServerOrigin }; result: null };
  /** Releases the address, drains up to `drainMs` (default: the server's), closes the rest; resolves when its connections are gone. */
  stop: { params: { host: number; drainMs?: number }; result: null };
  closeConnection: { params: { id: string }; result: boolean };
  /** Reads the host's TLS credential files again (its own and a forward's upstream ones), swapping in those that changed; none for a host without TLS. */
  reloadTls: { params: { host: number }; result: TlsReloadResult[] };
  setLogLevel: { params: { level: LogLevel }; result: null };
  /** Its counters (and connections, when asked): also the primary's liveness check. */
  snapshot: { params: { connections: boolean }; result: WorkerSnapshot };
  /** Whether to send the primary the events of its connections (someone is subscribed to `connections`); off at the start. */
  watch: { params: { connections: boolean }; result: null };
  /** Gives back every unused place of `server` under the whole-server limits and holds them exactly from now on; answers what it gave back, by source. */
  reclaim: { params: { server: string }; result: [source: string, places: number][] };
  /** Stops every host (drain as `stop`), answers, then exits 0. */
  shutdown: { params: { drainMs?: number }; result: null };
}

/** A worker method's name. */
export type WorkerMethod = keyof WorkerCalls;

/** What a worker reports of itself. */
export interface WorkerSnapshot {
  rss: number;
  heapUsed: number;
  /** Each host's counters, bound address and (a tls:// server's) credentials, by the primary's host number. */
  hosts: Record<number, { stats: ServerStatsInfo; address: string | null; tls?: ServerTlsInfo }>;
  /** Each host's active connections (only when asked for). */
  connections?: Record<number, ConnectionInfo[]>;
}

/** primary → worker. */
export interface WorkerCallMessage<M extends WorkerMethod = WorkerMethod> {
  kind: 'call';
  id: number;
  method: M;
  params: WorkerCalls[M]['params'];
}

/** worker → primary: the result, or the failure as {@link WorkerFailure}. */
export interface WorkerReplyMessage {
  kind: 'reply';
  id: number;
  result?: unknown;
  failure?: WorkerFailure;
}

/** An error thrown in a worker, as plain data: its class's name, message and what the control API reports of it. */
export interface WorkerFailure {
  name: string;
  message: string;
  kind?: DaemonErrorKind;
  data?: unknown;
  errno?: number;
  code?: string;
}

/** `error` as a {@link WorkerFailure}. */
export function toWorkerFailure(error: unknown): WorkerFailure {
  if (error instanceof DaemonError) return { name: 'DaemonError', message: error.message, kind: error.kind, data: error.data };
  if (error instanceof BindError) return { name: 'BindError', message: error.message, errno: error.errno, code: error.code };
  return { name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) };
}

/** The error a {@link WorkerFailure} stands for, as the primary throws it (the control API reports it as it would the same error in one process). */
export function fromWorkerFailure(failure: WorkerFailure): Error {
  if (failure.name === 'DaemonError' && failure.kind !== undefined) return new DaemonError(failure.kind, failure.message, failure.data as Record<string, unknown> | undefined);
  if (failure.name === 'BindError') return new BindError(failure.message, { errno: failure.errno, code: failure.code });
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}
