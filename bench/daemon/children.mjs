// The Node children of the daemon benchmarks, on the IPC channel of
// ../transports/ipc.mjs (killed when the orchestrator exits, and exiting by
// themselves when it vanishes): the load client and the Node servers.
import { Child } from '../transports/ipc.mjs';
import { profileFlags } from './evergreend.mjs';

/** Starts the load client (load-process.mjs); resolves its `Child`. */
export async function startLoad() {
  const { child } = await Child.start('../daemon/load-process.mjs', [], ['--expose-gc']);
  return child;
}

/** Starts `name` of servers.mjs with `args` in its own process (profiled under BENCH_PROFILE, as evergreend is, so the two profiles compare); resolves `{ child, port, pid }`. */
export async function startNodeServer(name, args = []) {
  const { child, ready } = await Child.start('../daemon/server-process.mjs', [name, ...args], profileFlags(name));
  return { child, port: ready.port, pid: ready.pid };
}

/** Stops every started thing of `started` (children and contenders alike), all of them even when one fails. */
export async function stopAll(started) {
  await Promise.allSettled(started.map((thing) => thing.stop()));
}
