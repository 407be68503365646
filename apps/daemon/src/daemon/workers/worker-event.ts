import type { RefusalReason } from '../../protocol/results.js';

/**
 * What a worker tells the primary unasked, over the cluster IPC channel:
 * that it is ready for calls, the events of its connections and its log
 * records (which the primary publishes to control subscribers, each with
 * the worker's pid), and the claims of its connections on the whole
 * server's limits.
 */
export type WorkerEventMessage =
  | { kind: 'ready' }
  | { kind: 'event'; topic: 'connections' | 'log'; event: Record<string, unknown> }
  | AdmissionClaimMessage
  | AdmissionReleaseMessage;

/**
 * worker → primary: may a new connection from `source` be served by server
 * `server` under its whole-server `maxConnections` and `maxPerSource`? The
 * primary answers with an {@link AdmissionVerdictMessage} of the same `id`.
 */
export interface AdmissionClaimMessage {
  kind: 'claim';
  id: number;
  server: string;
  source: string;
}

/** worker → primary: a connection a claim admitted is closed. */
export interface AdmissionReleaseMessage {
  kind: 'release';
  server: string;
  source: string;
}

/** primary → worker: the answer to a claim; `reason` when it is refused. */
export interface AdmissionVerdictMessage {
  kind: 'verdict';
  id: number;
  reason?: RefusalReason;
}
