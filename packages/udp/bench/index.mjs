// npm run bench: every udp benchmark, each printed as ours/baseline.
import * as pingPong from './ping-pong.mjs';
import * as flood from './flood.mjs';

const results = [];
for (const bench of [pingPong, flood]) results.push(...(await bench.run()));
const missed = results.filter((r) => !r.ok).map((r) => r.name);
console.log(missed.length === 0 ? 'udp: every target met' : `udp: targets missed: ${missed.join(', ')}`);
