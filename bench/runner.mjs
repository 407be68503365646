// The benchmark runner every package's bench uses: it interleaves ours and the
// raw-Node baseline in one process (the machine is shared and noisy, so only a
// ratio measured in the same run means anything) and prints ours/baseline.
import { performance } from 'node:perf_hooks';

/**
 * Runs `baseline` and `ours` alternately `rounds` times. Each returns how
 * many units of work it did (lines, bytes, round trips…); the rate is units
 * per second of wall time. Prints the medians and the ratio ours/baseline
 * against `target` and returns `{ name, ours, baseline, ratio, target, ok }`.
 * A run never asserts: a missed target is printed, not thrown.
 */
export async function compare({ name, unit, rounds = 5, target, ours, baseline }) {
  const rates = { ours: [], baseline: [] };
  for (let round = 0; round < rounds; round++) {
    for (const [key, fn] of round % 2 === 0 ? [['baseline', baseline], ['ours', ours]] : [['ours', ours], ['baseline', baseline]]) {
      globalThis.gc?.();
      const start = performance.now();
      const units = await fn();
      const seconds = (performance.now() - start) / 1000;
      rates[key].push(units / seconds);
    }
  }
  const result = report(name, unit, median(rates.ours), median(rates.baseline), target);
  return result;
}

/** Prints one comparison of two rates (higher is better) and returns it. */
export function report(name, unit, ours, baseline, target) {
  const ratio = ours / baseline;
  const ok = target === undefined || ratio >= target;
  const goal = target === undefined ? '' : ` (target >= ${target}x: ${ok ? 'met' : 'MISSED'})`;
  console.log(`${name}: ours ${format(ours)} ${unit}/s, baseline ${format(baseline)} ${unit}/s, ratio ${ratio.toFixed(2)}x${goal}`);
  return { name, ours, baseline, ratio, target, ok };
}

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function format(rate) {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : rate >= 1e3 ? `${(rate / 1e3).toFixed(1)}k` : rate.toFixed(1);
}
