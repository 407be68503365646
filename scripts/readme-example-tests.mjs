// What every package's test/readme-examples.test.ts shares: where its
// README and package folder are, and the check that an example ran cleanly.
// Each test file still says which examples its README has and what each
// must print.
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readmeExamples, runExample } from './readme-examples.mjs';

/**
 * The runnable examples of the README of the package whose test file is
 * `testFileUrl` (an `import.meta.url` in `<package>/test/`), and the
 * package folder they run from (`cwd`).
 */
export function packageExamples(testFileUrl) {
  const cwd = fileURLToPath(new URL('..', testFileUrl));
  return { examples: readmeExamples(fileURLToPath(new URL('../README.md', testFileUrl))), cwd };
}

/**
 * Runs `code` (see `runExample`), expects it to have written nothing to
 * stderr and exited 0, and resolves what it printed on stdout.
 */
export async function runCleanly(code, options) {
  const run = await runExample(code, options);
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  return run.stdout;
}
