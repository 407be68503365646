import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runExample } from '../../../scripts/readme-examples.mjs';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('the README examples, run as a user would', () => {
  const [example, ...others] = readmeExamples(readme);

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('wraps a connected socket, reads a line, a batch of records and the partial record left at the end, and exits', async () => {
    const run = await runExample(example.code, { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe("hello\n\n[ 'world\\n' ]\nended inside a record: no newline\n");
  }, 30_000);
});
