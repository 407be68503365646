// npm run bench: every @evergreen/tty benchmark, each printed as ours/baseline.
import { runUnderBenchNode } from '../../../bench/node-binary.mjs';
import * as pipeLines from './pipe-lines.mjs';

// BENCH_NODE=/path/to/node: the whole benchmark runs under that binary.
runUnderBenchNode(import.meta.url);

const results = [];
for (const bench of [pipeLines]) results.push(...(await bench.run()));
const missed = results.filter((r) => !r.ok).map((r) => r.name);
console.log(missed.length === 0 ? 'tty: every target met' : `tty: targets missed: ${missed.join(', ')}`);
