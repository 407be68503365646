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
//
// Two figures per contender, printed side by side: warmed (the same server
// process for every round, as a server that has already served others) and
// first connection (a fresh server process per round, measured on the very
// first connection it serves, as after every start or restart of a server:
// what a new user meets). A contender takes part in the first-connection
// rounds when it has a target, or when it says `fresh: true`.
import { median, report } from '../runner.mjs';
import { startLoad, startServer } from './children.mjs';

/** The contender every other one is compared with. */
const BASELINE = 'raw';

/**
 * Starts the raw server and each contender's server of `benchmark` over
 * `transport` (one process each, kept for all rounds) and one load client;
 * then, `rounds` times, in alternating order, collects garbage in both
 * children and has the load client run `load.op` against each server. A load
 * op resolves `{ units, seconds }`. Then the first-connection rounds:
 * `firstRounds` times, in alternating order, a fresh process of the raw
 * server and of each contender taking part (see above) serves one run of
 * `load.op` (with `load.firstParams` over `load.params`, if given), measured
 * the same way, and exits.
 * Prints and returns, for each contender, the median rate against the raw
 * server's (see runner.mjs `report`; a contender without a target is
 * printed for information), then the median server CPU time per unit of
 * both and, with `faultsPer` (`{ unit, units }`: how many units make one of
 * `unit`), the minor page faults per `unit`; beside it, as its `first`, the
 * same of the first-connection rounds against `firstTarget`.
 */
export async function compareServers({ benchmark, transport, unit, rounds, firstRounds = rounds, load, contenders, faultsPer }) {
  const names = [BASELINE, ...contenders.map((c) => c.server)];
  const children = [];
  let samples;
  let firstSamples;
  try {
    const loader = await startLoad(transport, benchmark);
    children.push(loader);
    const servers = {};
    for (const name of names) {
      servers[name] = await startServer(transport, benchmark, name);
      children.push(servers[name].child);
    }
    samples = await interleave(names, rounds, (name) => {
      const { child, address } = servers[name];
      return measureRound(child, [child, loader], () => loader.request(load.op, { ...load.params, address }));
    });
    await Promise.all(names.map((name) => servers[name].child.stop()));
    const freshNames = [BASELINE, ...contenders.filter(takesPartFresh).map((c) => c.server)];
    const params = { ...load.params, ...load.firstParams };
    firstSamples = await interleave(freshNames, firstRounds, async (name) => {
      // No garbage collection before: the process is as a start leaves it.
      const { child, address } = await startServer(transport, benchmark, name);
      try {
        return await measureRound(child, [loader], () => loader.request(load.op, { ...params, address }));
      } finally {
        await child.stop();
      }
    });
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
  return contenders.map((contender) => {
    const { server, name } = contender;
    const warmed = printResult(`${name} [${transport.label}]`, unit, samples[server], samples[BASELINE], contender.target, 'server', faultsPer);
    if (!takesPartFresh(contender)) return warmed;
    const first = printResult(`${name}, first connection of a fresh server [${transport.label}]`, unit, firstSamples[server], firstSamples[BASELINE], contender.firstTarget, 'server', faultsPer);
    return { ...warmed, first };
  });
}

/** Whether a contender is measured on the first connection of fresh server processes too. */
function takesPartFresh(contender) {
  return contender.fresh ?? (contender.target !== undefined || contender.firstTarget !== undefined);
}

/**
 * The same with clients under test: one server (`servers.sender` of
 * `benchmark`, the same for all) and one load process per contender, the
 * raw client's included, each running its own op (`load[contender]`) with
 * `params` and measured in its own process (CPU, page faults). The
 * first-connection rounds start a fresh client process per round, whose
 * first connection is measured.
 */
export async function compareClients({ benchmark, transport, unit, rounds, firstRounds = rounds, params, contenders, faultsPer }) {
  const names = [BASELINE, ...contenders.map((c) => c.client)];
  const children = [];
  let samples;
  let firstSamples;
  try {
    const { child: server, address } = await startServer(transport, benchmark, 'sender');
    children.push(server);
    const clients = {};
    for (const name of names) {
      clients[name] = await startLoad(transport, benchmark);
      children.push(clients[name]);
    }
    samples = await interleave(names, rounds, (name) =>
      measureRound(clients[name], [clients[name], server], () => clients[name].request(name, { ...params, address })),
    );
    await Promise.all(names.map((name) => clients[name].stop()));
    const freshNames = [BASELINE, ...contenders.filter(takesPartFresh).map((c) => c.client)];
    firstSamples = await interleave(freshNames, firstRounds, async (name) => {
      const client = await startLoad(transport, benchmark);
      try {
        return await measureRound(client, [server], () => client.request(name, { ...params, address }));
      } finally {
        await client.stop();
      }
    });
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
  return contenders.map((contender) => {
    const { client, name } = contender;
    const warmed = printResult(`${name} [${transport.label}]`, unit, samples[client], samples[BASELINE], contender.target, 'client', faultsPer);
    if (!takesPartFresh(contender)) return warmed;
    const first = printResult(`${name}, first connection of a fresh client [${transport.label}]`, unit, firstSamples[client], firstSamples[BASELINE], contender.firstTarget, 'client', faultsPer);
    return { ...warmed, first };
  });
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
