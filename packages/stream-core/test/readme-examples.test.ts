import { describe, expect, it } from 'vitest';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';

const { examples, cwd } = packageExamples(import.meta.url);

describe('the README examples, run as a user would', () => {
  const [example, ...others] = examples;

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('wraps a connected socket, reads a line, a batch of records and the partial record left at the end, and exits', async () => {
    const stdout = await runCleanly(example.code, { cwd });
    expect(stdout).toBe("hello\n\n[ 'world\\n' ]\nended inside a record: no newline\n");
  }, 30_000);
});
