// Interleaved rounds against servers in child processes, and how their
// results are printed. The rate of a round is measured where the work is
// known to be done (see each benchmark), not around the IPC call, so the
// orchestrator's own latency is not in the figures.
//
// Beside each rate, the server process's CPU time (user + system) per unit
// of work is printed for information: on a shared, noisy machine a round
// that lost its core to another process shows a lower rate but not a higher
// CPU cost, so the two together tell noise from a real difference.
import { median, report } from '../runner.mjs';
import { startLoad, startServer } from './children.mjs';

/** The server every contender is compared with. */
const BASELINE = 'raw';

/**
 * Starts the raw server and each contender's server of `benchmark` over
 * `transport` (one process each, kept for all rounds) and one load client;
 * then, `rounds` times, in alternating order, collects garbage in both
 * children and has the load client run `load.op` against each server. A load
 * op resolves `{ units, seconds }`. Prints and returns, for each contender,
 * the median rate against the raw server's (see runner.mjs `report`; a
 * contender without a target is printed for information), then the median
 * server CPU time per unit of both.
 */
export async function compareServers({ benchmark, transport, unit, rounds, load, contenders }) {
  const names = [BASELINE, ...contenders.map((c) => c.server)];
  const children = [];
  try {
    const loader = await startLoad(transport, benchmark);
    children.push(loader);
    const servers = {};
    for (const name of names) {
      servers[name] = await startServer(transport, benchmark, name);
      children.push(servers[name].child);
    }
    const rates = Object.fromEntries(names.map((name) => [name, []]));
    const cpu = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const { child, address } = servers[name];
        await Promise.all([child.request('gc'), loader.request('gc')]);
        const cpuBefore = await child.request('cpu');
        const { units, seconds } = await loader.request(load.op, { ...load.params, address });
        const cpuMicros = (await child.request('cpu')) - cpuBefore;
        rates[name].push(units / seconds);
        cpu[name].push(cpuMicros / units);
      }
    }
    return contenders.map(({ server, name, target }) => {
      const result = report(`${name} [${transport.label}]`, unit, median(rates[server]), median(rates[BASELINE]), target);
      const cpuPerUnit = { ours: median(cpu[server]), baseline: median(cpu[BASELINE]) };
      console.log(`  server CPU per ${singular(unit)}: ours ${duration(cpuPerUnit.ours)}, baseline ${duration(cpuPerUnit.baseline)}, ratio ${(cpuPerUnit.ours / cpuPerUnit.baseline).toFixed(2)}x`);
      return { ...result, cpuPerUnit };
    });
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/**
 * Prints one comparison of two costs (lower is better) and returns it:
 * ratio ours/baseline against `maxRatio`. Never throws on a miss.
 */
export function reportCost(name, unit, ours, baseline, maxRatio) {
  const ratio = ours / baseline;
  const ok = ratio <= maxRatio;
  console.log(`${name}: ours ${ours.toFixed(0)} ${unit}, baseline ${baseline.toFixed(0)} ${unit}, ratio ${ratio.toFixed(2)}x (target <= ${maxRatio}x: ${ok ? 'met' : 'MISSED'})`);
  return { name, ours, baseline, ratio, target: maxRatio, ok };
}

/** `lines` -> `line`, `round trips` -> `round trip`; `MiB` stays. */
function singular(unit) {
  return unit.endsWith('s') ? unit.slice(0, -1) : unit;
}

/** A CPU time given in microseconds, in the unit that reads best. */
function duration(micros) {
  if (micros >= 1000) return `${(micros / 1000).toFixed(2)} ms`;
  if (micros >= 1) return `${micros.toFixed(2)} µs`;
  return `${(micros * 1000).toFixed(0)} ns`;
}
