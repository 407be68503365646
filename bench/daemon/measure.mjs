// Interleaved rounds against contenders that are whole processes (a Node
// child, evergreend, socat, HAProxy), and how their results are printed.
//
// A round's rate is the load client's (units of work over the time it took,
// timed inside the load client, so neither IPC nor the readings below are in
// it). Beside it, from the contender's /proc counters read before and after
// the round: its CPU time (user + system) and its minor page faults per unit
// of work. On a shared, noisy machine a round that lost its core shows a
// lower rate but not a higher CPU cost; the two together tell noise from a
// real difference. Medians over the rounds.
import { setTimeout as sleep } from 'node:timers/promises';
import { median, report } from '../runner.mjs';
import { processCounters } from './processes.mjs';

/**
 * Time left after a round before the contender's counters are read: socat's
 * forked relay of the round must have exited and been waited for, or its
 * CPU time is not in its parent's counters yet.
 */
const COUNTERS_SETTLE_MS = 200;

/**
 * Runs `rounds` rounds; each has the load client run `op` with `params`
 * against every contender (`{ key, name, target?, port, pid }`, the first
 * being the baseline), in alternating order, after a GC in the load client.
 * Prints each contender's median rate as a ratio against the baseline's (a
 * contender without a target is printed for information), then a table of
 * every contender's rate, ratio, CPU and faults per unit. Returns the
 * results of the contenders after the baseline.
 */
export async function compareProcesses({ title, unit, perUnit, rounds, loader, op, params, contenders }) {
  const samples = Object.fromEntries(contenders.map(({ key }) => [key, { rate: [], cpu: [], faults: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      await loader.request('gc');
      const before = processCounters(contender.pid);
      const { units, seconds } = await loader.request(op, { ...params, port: contender.port });
      await sleep(COUNTERS_SETTLE_MS);
      const after = processCounters(contender.pid);
      const sample = samples[contender.key];
      sample.rate.push(units / seconds);
      sample.cpu.push((after.cpuMicros - before.cpuMicros) / units);
      sample.faults.push((after.minorFaults - before.minorFaults) / units);
    }
  }
  const figures = contenders.map(({ key, name, target }) => ({ key, name, target, rate: median(samples[key].rate), cpu: median(samples[key].cpu), faults: median(samples[key].faults) }));
  const [baseline, ...others] = figures;
  const results = others.map((f) => ({ ...report(`${title}: ${f.name} vs ${baseline.name}${f.target === undefined ? ' (information)' : ''}`, unit, f.rate, baseline.rate, f.target), cpuPerUnit: f.cpu, faultsPerUnit: f.faults }));
  printTable(figures, baseline, unit, perUnit);
  return results;
}

/** Prints one row per contender: rate, ratio to the baseline, CPU and minor faults per unit. */
export function printTable(figures, baseline, unit, perUnit) {
  const rows = figures.map((f) => [f.name, `${formatRate(f.rate)} ${unit}/s`, `${(f.rate / baseline.rate).toFixed(2)}x`, duration(f.cpu), f.faults.toFixed(2)]);
  const header = ['', 'rate', 'ratio', `CPU per ${perUnit}`, `minor faults per ${perUnit}`];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`);
}

/** A rate with a k/M suffix. */
export function formatRate(rate) {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : rate >= 1e3 ? `${(rate / 1e3).toFixed(1)}k` : rate.toFixed(1);
}

/** A CPU time given in microseconds, in the unit that reads best. */
function duration(micros) {
  if (micros >= 1000) return `${(micros / 1000).toFixed(2)} ms`;
  if (micros >= 1) return `${micros.toFixed(1)} µs`;
  return `${(micros * 1000).toFixed(0)} ns`;
}
