// npm run bench:cli (in bench/): how long `evergreenctl status` takes from
// exec to exit against a running evergreend, beside `node -e 0` on the same
// Node binary (BENCH_NODE, default this one), in interleaved runs (the
// machine is shared: only the ratio in one run means anything). Prints each
// run's times, the medians and the ratio status / `node -e 0` against the
// target of 1.5x (issue 16). One unmeasured run first fills Node's compile
// cache (Node 22.1+) as an operator's first call does; BENCH_CLI_RUNS sets
// the number of measured runs (default 10).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { echoServer, startDaemon } from '../daemon/evergreend.mjs';
import { NODE_BINARY } from '../node-binary.mjs';
import { median } from '../runner.mjs';

const CTL = fileURLToPath(new URL('../../apps/daemon/bin/evergreenctl.mjs', import.meta.url));
const RUNS = Number(process.env.BENCH_CLI_RUNS || 10);
const TARGET_RATIO = 1.5;
/** How long the control socket may take to answer after the start is logged. */
const READY_TIMEOUT_MS = 10_000;

/** Runs `args` under NODE_BINARY to its exit; resolves the wall time in ms, or throws with its output when it fails. */
function timed(args) {
  const start = performance.now();
  const result = spawnSync(NODE_BINARY, args, { encoding: 'utf8', env: { ...process.env, EVERGREEN_SOCKET: '' } });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`Cannot time node ${args.join(' ')}: exit ${result.status}\n${result.stdout}${result.stderr}`);
  return ms;
}

const daemon = await startDaemon([echoServer()], 'cli-startup');
try {
  const status = [CTL, '--socket', daemon.socket, 'status'];
  for (let waited = 0; ; waited += 100) {
    try {
      timed(status);
      break;
    } catch (error) {
      if (waited >= READY_TIMEOUT_MS) throw error;
      await sleep(100);
    }
  }
  const times = { node: [], status: [] };
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? ['node', 'status'] : ['status', 'node'];
    for (const which of order) times[which].push(timed(which === 'node' ? ['-e', '0'] : status));
  }
  const version = spawnSync(NODE_BINARY, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const format = (list) => list.map((ms) => ms.toFixed(0)).join(' ');
  const node = median(times.node);
  const ctl = median(times.status);
  const ratio = ctl / node;
  console.log(`evergreenctl status startup (node ${version}, ${RUNS} runs)`);
  console.log(`  node -e 0:           ${format(times.node)} ms; median ${node.toFixed(1)} ms`);
  console.log(`  evergreenctl status: ${format(times.status)} ms; median ${ctl.toFixed(1)} ms`);
  console.log(`evergreenctl status / node -e 0: ratio ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'MISSED'})`);
} finally {
  await daemon.stop();
}
