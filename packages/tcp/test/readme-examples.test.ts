import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runExample } from '../../../scripts/readme-examples.mjs';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const readmeOf = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

describe('the README examples, run as a user would', () => {
  const [example, ...others] = readmeExamples(readmeOf('../README.md'));

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('echoes a line through a TCPServer subclass, ends with shutdown and exits', async () => {
    const run = await runExample(example.code, { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe('hello\n\n0\n');
  }, 30_000);
});

// The repository's README shows TCP; its examples run here, where @evergreen/tcp is built.
describe("the repository README's examples", () => {
  const examples = readmeExamples(readmeOf('../../../README.md'));

  it('has at least one', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples.map((example) => [example.line, example] as const))('the example at line %i runs to its end without an error', async (_line, example) => {
    const run = await runExample(example.code, { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
  }, 30_000);
});
