import type { DaemonStats } from '../protocol/results.js';
import { ownValue } from '../protocol/own-value.js';

/** Bytes per second in and out. */
export interface Rate {
  in: number;
  out: number;
}

/** Every server's rate and the total, from two samples of `stats`. */
export interface Rates {
  servers: Map<string, Rate>;
  total: Rate;
}

/**
 * Turns successive `stats` samples into bytes per second, from the byte
 * counters' difference over the time between samples. The first sample, and
 * a server new since the last one, have no rate yet (absent). A counter that
 * went down (the server was removed and added again) counts from zero. The
 * total is the sum of the servers' rates (those in both samples), not of the
 * daemon's totals, which drop when a server is removed. Never throws.
 * Cost: O(servers) per sample.
 */
export class RateMeter {
  #last: { at: number; stats: DaemonStats } | undefined;

  /** Records `stats`, taken at `at` (ms, monotonic), and returns the rates since the previous sample. */
  sample(stats: DaemonStats, at: number): Rates | undefined {
    const last = this.#last;
    this.#last = { at, stats };
    if (last === undefined || at <= last.at) return undefined;
    const seconds = (at - last.at) / 1000;
    const rate = (now: number, before: number | undefined): number => (before === undefined || now < before ? now : now - before) / seconds;
    const servers = new Map<string, Rate>();
    const total: Rate = { in: 0, out: 0 };
    for (const [name, now] of Object.entries(stats.servers)) {
      const before = ownValue(last.stats.servers, name);
      if (before === undefined) continue;
      const each = { in: rate(now.bytesIn, before.bytesIn), out: rate(now.bytesOut, before.bytesOut) };
      servers.set(name, each);
      total.in += each.in;
      total.out += each.out;
    }
    return { servers, total };
  }
}
