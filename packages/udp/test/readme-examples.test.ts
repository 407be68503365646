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

  it('pings an echo endpoint, counts the datagram, rejects a receive after close and exits', async () => {
    const run = await runExample(example.code, { cwd });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const [reply, ...rest] = run.stdout.split('\n');
    expect(reply).toMatch(/^PING \{ address: '127\.0\.0\.1', port: \d+, family: 'IPv4' \}$/);
    const stats = rest.join('\n');
    expect(stats).toMatch(/received: 1,/);
    expect(stats).toMatch(/sent: 1,/);
    expect(stats).toMatch(/dropped: 0,/);
    expect(rest.at(-2)).toBe('StreamClosedError Cannot receive: the endpoint is closed');
  }, 30_000);
});
