import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runExample } from '../../../scripts/readme-examples.mjs';
import { EADDRINUSE, findErrno } from '../src/index.js';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('the README examples, run as a user would', () => {
  const [example, ...others] = readmeExamples(readme);

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('names, words and numbers errors as the running Node does, and sees a refused connect', async () => {
    const run = await runExample(example.code, { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const expected = ['EADDRINUSE', 'address already in use', String(EADDRINUSE), 'unknown error 123456', String(findErrno('ENOEXEC')), 'nobody listens there'];
    expect(run.stdout).toBe(`${expected.join('\n')}\n`);
  }, 30_000);
});
