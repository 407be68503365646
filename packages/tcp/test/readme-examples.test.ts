import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples } from '../../../scripts/readme-examples.mjs';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';

const { examples, cwd } = packageExamples(import.meta.url);

describe('the README examples, run as a user would', () => {
  const [example, ...others] = examples;

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('echoes a line through a TCPServer subclass, ends with shutdown and exits', async () => {
    expect(await runCleanly(example.code, { cwd })).toBe('hello\n\n0\n');
  }, 30_000);
});

// The repository's README shows TCP; its examples run here, where @evergreen/tcp is built.
describe("the repository README's examples", () => {
  const repositoryExamples = readmeExamples(fileURLToPath(new URL('../../../README.md', import.meta.url)));

  it('has at least one', () => {
    expect(repositoryExamples.length).toBeGreaterThan(0);
  });

  it.each(repositoryExamples.map((example) => [example.line, example] as const))('the example at line %i runs to its end without an error', async (_line, example) => {
    await runCleanly(example.code, { cwd });
  }, 30_000);
});
