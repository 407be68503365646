// Interleaved rounds against servers in child processes, and how their
// results are printed. The rate of a round is measured where the work is
// known to be done (see each benchmark), not around the IPC call, so the
// orchestrator's own latency is not in the figures.
//
// Beside each rate, the measured process's CPU time (user + system) per unit
// of work is printed for information: on a shared, noisy machine a round
// that lost its core to another process shows a lower rate but not a higher
// CPU cost, so the two together tell noise from a real difference. Bulk
// benchmarks also print its minor page faults per GiB: fresh memory costs
// one per 4 KiB page touched.
import { median, report } from '../runner.mjs';
import { startLoad, startServer } from './children.mjs';

/** The contender every other one is compared with. */
const BASELINE = 'raw';

/**
 * Starts the raw server and each contender's server of `benchmark` over
 * `transport` (one process each, kept for all rounds) and one load client;
 * then, `rounds` times, in alternating order, collects garbage in both
 * children and has the load client run `load.op` against each server. A load
 * op resolves `{ units, seconds }`. Prints and returns, for each contender,
 * the median rate against the raw server's (see runner.mjs `report`; a
 * contender without a target is printed for information), then the median
 * server CPU time per unit of both and, with `faultsPer` (`{ unit, units }`:
 * how many units make one of `unit`), the minor page faults per `unit`.
 */
export async function compareServers({ benchmark, transport, unit, rounds, load, contenders, faultsPer }) {
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
    const samples = await interleave(names, rounds, (name) => {
      const { child, address } = servers[name];
      return measureRound(child, [child, loader], () => loader.request(load.op, { ...load.params, address }));
    });
    return contenders.map(({ server, name, target }) => printResult(`${name} [${transport.label}]`, unit, samples[server], samples[BASELINE], target, 'server', faultsPer));
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/**
 * The same with clients under test: one server (`servers.sender` of
 * `benchmark`, the same for all) and one load process per contender, the
 * raw client's included, each running its own op (`load[contender]`) with
 * `params` and measured in its own process (CPU, page faults).
 */
export async function compareClients({ benchmark, transport, unit, rounds, params, contenders, faultsPer }) {
  const names = [BASELINE, ...contenders.map((c) => c.client)];
  const children = [];
  try {
    const { child: server, address } = await startServer(transport, benchmark, 'sender');
    children.push(server);
    const clients = {};
    for (const name of names) {
      clients[name] = await startLoad(transport, benchmark);
      children.push(clients[name]);
    }
    const samples = await interleave(names, rounds, (name) =>
      measureRound(clients[name], [clients[name], server], () => clients[name].request(name, { ...params, address })),
    );
    return contenders.map(({ client, name, target }) => printResult(`${name} [${transport.label}]`, unit, samples[client], samples[BASELINE], target, 'client', faultsPer));
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/** Runs `round(name)` for every name, `rounds` times, in alternating order; collects the samples by name. */
async function interleave(names, rounds, round) {
  const samples = Object.fromEntries(names.map((name) => [name, { rates: [], cpu: [], faults: [] }]));
  for (let i = 0; i < rounds; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      const { rate, cpu, faults } = await round(name);
      samples[name].rates.push(rate);
      samples[name].cpu.push(cpu);
      samples[name].faults.push(faults);
    }
  }
  return samples;
}

/**
 * One round: garbage collected in `gcIn`, then `run()` (resolving
 * `{ units, seconds }`), with the CPU time and page faults `measured` used
 * meanwhile, per unit.
 */
async function measureRound(measured, gcIn, run) {
  await Promise.all(gcIn.map((child) => child.request('gc')));
  const before = await measured.request('usage');
  const { units, seconds } = await run();
  const after = await measured.request('usage');
  return { rate: units / seconds, cpu: (after.cpu - before.cpu) / units, faults: (after.faults - before.faults) / units };
}

/** Prints a contender's median rate against the baseline's, then its cost per unit; returns the result. */
function printResult(name, unit, ours, baseline, target, side, faultsPer) {
  const result = report(name, unit, median(ours.rates), median(baseline.rates), target);
  const cpuPerUnit = { ours: median(ours.cpu), baseline: median(baseline.cpu) };
  console.log(`  ${side} CPU per ${singular(unit)}: ours ${duration(cpuPerUnit.ours)}, baseline ${duration(cpuPerUnit.baseline)}, ratio ${(cpuPerUnit.ours / cpuPerUnit.baseline).toFixed(2)}x`);
  if (faultsPer === undefined) return { ...result, cpuPerUnit };
  const faults = { ours: median(ours.faults) * faultsPer.units, baseline: median(baseline.faults) * faultsPer.units };
  console.log(`  ${side} minor page faults per ${faultsPer.unit}: ours ${faults.ours.toFixed(0)}, baseline ${faults.baseline.toFixed(0)}`);
  return { ...result, cpuPerUnit, faults };
}

/**
 * Prints one comparison of two costs (lower is better) and returns it:
 * ratio ours/baseline against `maxRatio` (none: for information). Never
 * throws on a miss.
 */
export function reportCost(name, unit, ours, baseline, maxRatio) {
  const ratio = ours / baseline;
  const ok = maxRatio === undefined || ratio <= maxRatio;
  const goal = maxRatio === undefined ? '' : ` (target <= ${maxRatio}x: ${ok ? 'met' : 'MISSED'})`;
  console.log(`${name}: ours ${ours.toFixed(0)} ${unit}, baseline ${baseline.toFixed(0)} ${unit}, ratio ${ratio.toFixed(2)}x${goal}`);
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
