import type { RefusalReason } from '../../protocol/results.js';

/**
 * What a worker tells the primary unasked, over the cluster IPC channel:
 * that it is ready for calls, the events of its connections and its log
 * records (which the primary publishes to control subscribers, each with
 * the worker's pid), and its claims on the whole server's limits: places
 * leased in blocks, and given back ({@link AdmissionReturnMessage}).
 */
export type WorkerEventMessage =
  | { kind: 'ready' }
  | { kind: 'event'; topic: 'connections' | 'log'; event: Record<string, unknown> }
  | AdmissionClaimMessage
  | AdmissionReturnMessage;

/**
 * worker → primary: may a new connection from `source` be served by server
 * `server` under its whole-server `maxConnections` and `maxPerSource`? It
 * holds no unused place of that source, and asks for up to `want` places
 * (one for this connection, the rest for the next ones). The primary
 * answers with an {@link AdmissionVerdictMessage} of the same `id`.
 */
export interface AdmissionClaimMessage {
  kind: 'claim';
  id: number;
  server: string;
  source: string;
  want: number;
}

/** worker → primary: it gives back `places` places of `server` for `source` (their connections are closed, or they were never used). */
export interface AdmissionReturnMessage {
  kind: 'return';
  server: string;
  source: string;
  places: number;
}

/**
 * primary → worker: the answer to a claim: `places` granted (1 to `want`,
 * one of them for the connection that claimed), or `reason` when it is
 * refused; `exact` when the server is near a limit and each place should
 * go back as soon as its connection closes.
 */
export interface AdmissionVerdictMessage {
  kind: 'verdict';
  id: number;
  reason?: RefusalReason;
  places?: number;
  exact?: boolean;
}
