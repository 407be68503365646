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
