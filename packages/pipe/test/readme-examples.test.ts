import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeExamples, runExample } from '../../../scripts/readme-examples.mjs';

const readme = fileURLToPath(new URL('../README.md', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));

describe('the README examples, run as a user would', () => {
  const examples = readmeExamples(readme);
  const [echo, fifo, uris] = examples;

  it('has the three examples these tests know', () => {
    expect(examples).toHaveLength(3);
  });

  it.each([
    ['echoes lines over a Unix socket and removes the socket file', () => echo, 'hello\npipes\n\n'],
    ['adopts both ends of a FIFO and reads to its end', () => fifo, 'through a FIFO\n\n'],
    ['parses and formats pipe URIs', () => uris, '/run/app.sock\n"\\u0000app"\npipe:///tmp/50%25%20off.sock\n'],
  ])('%s, and exits', async (_what, example, stdout) => {
    const run = await runExample(example().code, { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(stdout);
  }, 30_000);
});
