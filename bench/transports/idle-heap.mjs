// idle heap: what one idle connection holds, object by object. A server
// (each of idle-memory.mjs's) runs in its own process; the load client
// opens CONNECTIONS idle connections to it; the server writes a V8 heap
// snapshot before and after (`v8.writeHeapSnapshot`, after two full GCs),
// and the difference, grouped by what V8 calls each object (its
// constructor, or its kind: closure, array, context…), is printed per
// connection (compiled code and the snapshot's synthetic nodes left out): the table in docs/benchmarks.md, "What one idle connection
// holds". Run by `npm run bench` (BENCH_ONLY=idle-heap), over TCP.
import { readFileSync, rmSync } from 'node:fs';
import { sized } from './options.mjs';
import { startLoad, startServer } from './children.mjs';
import { allAccepted, BATCH_CONNECTIONS } from './idle-memory.mjs';

export { servers, load } from './idle-memory.mjs';

const CONNECTIONS = sized(2000, 500);
/** Groups smaller than this many bytes per connection are summed into one line. */
const SHOWN_BYTES = 8;
/** The servers whose connections are tabled, in the order printed. */
const TABLED = ['floor', 'ours', 'oursPartial'];

/** Prints, for each server of TABLED over `transport`, the heap it holds per idle connection, by object kind. */
export async function run(transport) {
  if (transport.name !== 'tcp') return [];
  const loader = await startLoad(transport, 'idle-memory');
  try {
    for (const server of TABLED) printTable(server, await heapPerConnection(loader, transport, server));
  } finally {
    await loader.stop();
  }
  return [];
}

/** The snapshot difference per connection of a fresh `server` holding CONNECTIONS idle connections. */
async function heapPerConnection(loader, transport, server) {
  const { child, address } = await startServer(transport, 'idle-memory', server);
  try {
    const before = await child.request('heapSnapshot');
    for (let open = 0; open < CONNECTIONS; open += BATCH_CONNECTIONS) {
      const count = Math.min(BATCH_CONNECTIONS, CONNECTIONS - open);
      await loader.request('open', { address, count });
      await allAccepted(child, open + count);
    }
    const after = await child.request('heapSnapshot');
    const grown = difference(bySelfSize(before), bySelfSize(after));
    return [...grown].map(([what, bytes]) => [what, bytes / CONNECTIONS]).sort((a, b) => b[1] - a[1]);
  } finally {
    await child.stop();
    await loader.request('close');
  }
}

/** Reads a `.heapsnapshot` file (and deletes it): total self size and count by `type:name`. */
function bySelfSize(path) {
  const snapshot = JSON.parse(readFileSync(path, 'utf8'));
  rmSync(path, { force: true });
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const totals = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    // Not held per connection: the snapshot's own bookkeeping, and code
    // compiled while the first connections were served.
    if (type === 'synthetic' || type === 'code') continue;
    const key = describe(type, strings[nodes[i + nameAt]]);
    totals.set(key, (totals.get(key) ?? 0) + nodes[i + sizeAt]);
  }
  return totals;
}

/** How an object reads in the table: its constructor for objects, its kind and name otherwise. */
function describe(type, name) {
  if (type === 'object') return name;
  if (type === 'closure') return `closure ${name || '(anonymous)'}`;
  if (type === 'array' || type === 'hidden') return `(${type}) ${name.length > 40 ? `${name.slice(0, 40)}…` : name}`;
  return `(${type})`;
}

function difference(before, after) {
  const grown = new Map();
  for (const [key, bytes] of after) grown.set(key, bytes - (before.get(key) ?? 0));
  return grown;
}

function printTable(server, rows) {
  const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
  console.log(`idle heap per connection, ${server} [${CONNECTIONS} connections]: ${total.toFixed(0)} bytes`);
  let rest = 0;
  for (const [what, bytes] of rows) {
    if (Math.abs(bytes) < SHOWN_BYTES) rest += bytes;
    else console.log(`  ${bytes.toFixed(0).padStart(5)}  ${what}`);
  }
  console.log(`  ${rest.toFixed(0).padStart(5)}  (everything under ${SHOWN_BYTES} bytes)`);
}
