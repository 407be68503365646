import { describe, expect, it } from 'vitest';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';
import { EADDRINUSE, findErrno } from '../src/index.js';

const { examples, cwd } = packageExamples(import.meta.url);

describe('the README examples, run as a user would', () => {
  const [example, ...others] = examples;

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('names, words and numbers errors as the running Node does, and sees a refused connect', async () => {
    const stdout = await runCleanly(example.code, { cwd });
    const expected = ['EADDRINUSE', 'address already in use', String(EADDRINUSE), 'unknown error 123456', String(findErrno('ENOEXEC')), 'nobody listens there'];
    expect(stdout).toBe(`${expected.join('\n')}\n`);
  }, 30_000);
});
