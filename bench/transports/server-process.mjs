// The child process a server under test runs in, alone, so its RSS is its
// own and it has a core to itself: `node --expose-gc server-process.mjs
// <transport> <benchmark> <server> <dir>` starts `servers[<server>]` of
// bench/transports/<benchmark>.mjs and reports the address it listens on.
//
// Requests: `gc`, `usage` (CPU time and minor page faults so far, see ipc.mjs),
// `connections` (how many are open), `memory` (in bytes, after letting the
// process settle and collecting garbage: `rss`, `heapUsed`, and the V8 heap's
// resident pages by generation, see `residentHeap`), `heapSnapshot` (written
// into the run's directory: its path), `exit`.
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { answerRequests, usage } from './ipc.mjs';
import { transportNamed } from './transports.mjs';

/** Full collections before reading RSS: a second one frees what the first one's finalizers released. */
const GC_PASSES = 2;

const [transportName, benchmark, server, dir] = process.argv.slice(2);
const { servers } = await import(`./${benchmark}.mjs`);
if (servers?.[server] === undefined) throw new TypeError(`Cannot start the server "${server}": ${benchmark}.mjs does not define it`);
const { address, connections } = await servers[server](transportNamed(transportName), dir);

answerRequests(
  {
    gc: () => globalThis.gc?.(),
    usage,
    connections,
    /** Collects garbage and writes a heap snapshot into the run's directory; resolves its path. */
    heapSnapshot() {
      for (let i = 0; i < GC_PASSES; i++) globalThis.gc();
      return writeHeapSnapshot(join(dir, `${process.pid}-${Date.now()}.heapsnapshot`));
    },
    async memory({ settleMs }) {
      await sleep(settleMs);
      for (let i = 0; i < GC_PASSES; i++) globalThis.gc();
      const { rss, heapUsed } = process.memoryUsage();
      return { rss, heapUsed, ...residentHeap() };
    },
  },
  address,
);

/**
 * The V8 heap's resident pages (`physical_space_size`), by what holds them:
 * `young` (the new space, where every object is first allocated and which
 * V8 grows while many survive), `old` (where survivors are moved), and
 * `otherHeap` (code, large objects, …). What RSS holds beyond these is
 * outside the V8 heap (malloc: Node's and libuv's per-socket state, …).
 */
function residentHeap() {
  const bytes = { young: 0, old: 0, otherHeap: 0 };
  for (const { space_name: name, physical_space_size: size } of getHeapSpaceStatistics()) {
    const part = name === 'new_space' || name === 'new_large_object_space' ? 'young' : name === 'old_space' ? 'old' : 'otherHeap';
    bytes[part] += size;
  }
  return bytes;
}
