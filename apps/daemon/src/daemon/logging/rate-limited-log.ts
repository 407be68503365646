import type { Logger } from './logger.js';

/** Refusal lines allowed per window per server before they are summed up. */
export const REFUSAL_LINES_PER_WINDOW = 10;
/** The window of that budget (1 s). */
export const REFUSAL_WINDOW_MS = 1_000;

/**
 * Logs at most `limit` lines per window and counts the rest; the first line
 * of the next window says how many `what` lines were suppressed. A flood (of
 * refused connections, of stray datagrams) thus costs a bounded number of log
 * lines per second. Never throws (but for the logger's own errors).
 */
export class RateLimitedLog {
  readonly #log: Logger;
  readonly #what: string;
  readonly #limit: number;
  readonly #windowMs: number;
  #windowStart = 0;
  #lines = 0;
  #suppressed = 0;

  constructor(log: Logger, what: string, limit = REFUSAL_LINES_PER_WINDOW, windowMs = REFUSAL_WINDOW_MS) {
    this.#log = log;
    this.#what = what;
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Logs `message` at warn with `fields`, unless this window's budget is spent. */
  warn(fields: Record<string, unknown>, message: string, now = Date.now()): void {
    if (now - this.#windowStart >= this.#windowMs) {
      if (this.#suppressed > 0) this.#log.warn({ suppressed: this.#suppressed }, `${this.#what} log lines suppressed by the rate limit`);
      this.#windowStart = now;
      this.#lines = 0;
      this.#suppressed = 0;
    }
    if (this.#lines < this.#limit) {
      this.#lines += 1;
      this.#log.warn(fields, message);
    } else {
      this.#suppressed += 1;
    }
  }
}
