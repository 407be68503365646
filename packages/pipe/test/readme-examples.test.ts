import { describe, expect, it } from 'vitest';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';

const { examples, cwd } = packageExamples(import.meta.url);

describe('the README examples, run as a user would', () => {
  const [echo, fifo, uris] = examples;

  it('has the three examples these tests know', () => {
    expect(examples).toHaveLength(3);
  });

  it.each([
    ['echoes lines over a Unix socket and removes the socket file', () => echo, 'hello\npipes\n\n'],
    ['adopts both ends of a FIFO and reads to its end', () => fifo, 'through a FIFO\n\n'],
    ['parses and formats pipe URIs', () => uris, '/run/app.sock\n"\\u0000app"\npipe:///tmp/50%25%20off.sock\n'],
  ])('%s, and exits', async (_what, example, expected) => {
    const stdout = await runCleanly(example().code, { cwd });
    expect(stdout).toBe(expected);
  }, 30_000);
});
