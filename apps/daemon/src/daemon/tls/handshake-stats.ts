import type { TlsHandshakeStats } from '../../protocol/tls-results.js';

/** The handshake counters of one tls:// server (see `TlsHandshakeStats`). Cost: a few additions per handshake. */
export class HandshakeStats {
  #ok = 0;
  #resumed = 0;
  #totalMs = 0;
  readonly #failed: Record<string, number> = {};

  /** Counts a handshake that ended in a served connection, and how long it took when known. */
  succeeded(resumed: boolean, durationMs: number | undefined): void {
    this.#ok += 1;
    if (resumed) this.#resumed += 1;
    // A handshake admitted before a reload of the counters has no start: it is counted, not timed.
    if (durationMs !== undefined) this.#totalMs += durationMs;
  }

  /** Counts a failed handshake by its reason. */
  failed(reason: string): void {
    this.#failed[reason] = (this.#failed[reason] ?? 0) + 1;
  }

  snapshot(inProgress: number): TlsHandshakeStats {
    return { ok: this.#ok, resumed: this.#resumed, failed: { ...this.#failed }, inProgress, meanHandshakeMs: this.#ok === 0 ? null : this.#totalMs / this.#ok };
  }
}

/**
 * Two sets of one server's handshake counters as one (two workers'): the
 * counts summed, the mean weighted by each one's served handshakes (each
 * mean is its total time over `ok`); `inProgress` added only when
 * `withInProgress` (a retired worker's handshakes ended with it).
 */
export function sumHandshakes(sum: TlsHandshakeStats | undefined, more: TlsHandshakeStats, withInProgress: boolean): TlsHandshakeStats {
  const base = sum ?? { ok: 0, resumed: 0, failed: {}, inProgress: 0, meanHandshakeMs: null };
  const failed = { ...base.failed };
  for (const [reason, count] of Object.entries(more.failed)) failed[reason] = (failed[reason] ?? 0) + count;
  const ok = base.ok + more.ok;
  const totalMs = (stats: TlsHandshakeStats): number => (stats.meanHandshakeMs ?? 0) * stats.ok;
  const meanHandshakeMs = ok === 0 || (base.meanHandshakeMs === null && more.meanHandshakeMs === null) ? null : (totalMs(base) + totalMs(more)) / ok;
  return { ok, resumed: base.resumed + more.resumed, failed, inProgress: base.inProgress + (withInProgress ? more.inProgress : 0), meanHandshakeMs };
}
