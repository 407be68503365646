// After `npm test`: adds up every package's vitest JSON report into one
// closing line, "N passed, N failed", and fails when a package ran no test
// (a package without tests is a missing test, not a green one).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'apps'];
let passed = 0;
let failed = 0;
let skipped = 0;
const empty = [];
for (const root of roots) {
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (manifest.scripts?.test === undefined) continue;
    const report = join(dir, '.vitest', 'results.json');
    if (!existsSync(report)) {
      empty.push(dir);
      continue;
    }
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    skipped += results.numPendingTests + results.numTodoTests;
    if (results.numTotalTests === 0) empty.push(dir);
  }
}
if (empty.length > 0) console.error(`no tests ran in: ${empty.join(', ')}`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || empty.length > 0 ? 1 : 0);
