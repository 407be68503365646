// npm run bench: every udp benchmark, each printed as ours/baseline.
import { runUnderBenchNode } from '../../../bench/node-binary.mjs';
import * as pingPong from './ping-pong.mjs';
import * as flood from './flood.mjs';

// BENCH_NODE=/path/to/node: the whole benchmark runs under that binary.
runUnderBenchNode(import.meta.url);

const results = [];
for (const bench of [pingPong, flood]) results.push(...(await bench.run()));
const missed = results.filter((r) => !r.ok).map((r) => r.name);
console.log(missed.length === 0 ? 'udp: every target met' : `udp: targets missed: ${missed.join(', ')}`);
