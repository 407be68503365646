// `node bench/transports/cpu-profile-summary.mjs file.cpuprofile [count]`:
// the functions a CPU profile (as written by the server children under
// BENCH_PROFILE=dir) spent the most self time in, with their share, so a
// missed target can be traced to a function without opening DevTools.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const DEFAULT_COUNT = 25;

const [file, count = DEFAULT_COUNT] = process.argv.slice(2);
if (file === undefined) throw new TypeError('Cannot summarise: pass a .cpuprofile file');
const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8'));

const byId = new Map(nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
let totalMicros = 0;
for (let i = 0; i < samples.length; i++) {
  const { callFrame } = byId.get(samples[i]);
  const where = callFrame.url === '' ? '' : ` ${basename(callFrame.url)}:${callFrame.lineNumber + 1}`;
  const key = `${callFrame.functionName || '(anonymous)'}${where}`;
  const micros = Math.max(timeDeltas[i], 0);
  selfMicros.set(key, (selfMicros.get(key) ?? 0) + micros);
  totalMicros += micros;
}
console.log(`${basename(file)}: ${(totalMicros / 1e6).toFixed(2)} s sampled`);
for (const [key, micros] of [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${((100 * micros) / totalMicros).toFixed(1).padStart(5)}%  ${key}`);
}
