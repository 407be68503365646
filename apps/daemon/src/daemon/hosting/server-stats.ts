import { REFUSAL_REASONS } from './admission.js';
import type { RefusalReason, ServerStatsInfo } from '../../protocol/results.js';

/**
 * The counters of one server. Bytes of closed connections are added up here;
 * those of active ones are read from their records when asked, so a
 * snapshot costs one pass over the active connections and no I/O.
 */
export class ServerStats {
  accepted = 0;
  errors = 0;
  readonly since = Date.now();
  readonly refused: Record<RefusalReason, number> = Object.fromEntries(REFUSAL_REASONS.map((reason) => [reason, 0])) as Record<RefusalReason, number>;
  #closedBytesIn = 0;
  #closedBytesOut = 0;

  /** Adds a finished connection's bytes to the totals. */
  addClosed(bytesIn: number, bytesOut: number): void {
    this.#closedBytesIn += bytesIn;
    this.#closedBytesOut += bytesOut;
  }

  snapshot(active: Iterable<{ bytesIn: number; bytesOut: number }>, activeCount: number): ServerStatsInfo {
    let bytesIn = this.#closedBytesIn;
    let bytesOut = this.#closedBytesOut;
    for (const record of active) {
      bytesIn += record.bytesIn;
      bytesOut += record.bytesOut;
    }
    return { accepted: this.accepted, active: activeCount, refused: { ...this.refused }, bytesIn, bytesOut, errors: this.errors, since: this.since };
  }
}
