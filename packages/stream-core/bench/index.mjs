// npm run bench: every stream-core benchmark, each printed as ours/baseline.
import { runUnderBenchNode } from '../../../bench/node-binary.mjs';
import * as readUntil from './read-until.mjs';
import * as longRecord from './long-record.mjs';
import * as readBytes from './read-bytes.mjs';

// BENCH_NODE=/path/to/node: the whole benchmark runs under that binary.
runUnderBenchNode(import.meta.url);

const results = [];
for (const bench of [readUntil, longRecord, readBytes]) results.push(...(await bench.run()));
const missed = results.filter((r) => !r.ok).map((r) => r.name);
console.log(missed.length === 0 ? 'stream-core: every target met' : `stream-core: targets missed: ${missed.join(', ')}`);
