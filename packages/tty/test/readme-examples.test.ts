import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';

const { examples, cwd } = packageExamples(import.meta.url);

describe('the README examples', () => {
  const [keyReader, filter] = examples;

  it('has the two examples these tests know', () => {
    expect(examples).toHaveLength(2);
  });

  it('the key reader is examples/key-reader.mjs, which tty-under-pty.test.ts runs under a real terminal', () => {
    const file = readFileSync(new URL('../examples/key-reader.mjs', import.meta.url), 'utf8');
    // The file opens with a comment saying how to run it; the README says so in prose.
    expect(keyReader.code).toBe(file.replace(/^(\/\/.*\n)+/, ''));
  });

  it('the line filter upper-cases what a pipe feeds it and exits at its end', async () => {
    const stdout = await runCleanly(filter.code, { cwd, input: 'a\nbc\n' });
    expect(stdout).toBe('A\nBC\n');
  }, 30_000);
});
