import { describe, expect, it } from 'vitest';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';
import { reusePortSupported } from '../src/index.js';

const { examples, cwd } = packageExamples(import.meta.url);

describe('the README examples, run as a user would', () => {
  const [example, reusePortExample, batchExample, ...others] = examples;

  it('has the three examples these tests know', () => {
    expect(example).toBeDefined();
    expect(reusePortExample).toBeDefined();
    expect(batchExample).toBeDefined();
    expect(others).toEqual([]);
  });

  it('pings an echo endpoint, counts the datagram, rejects a receive after close and exits', async () => {
    const stdout = await runCleanly(example.code, { cwd });
    const [reply, ...rest] = stdout.split('\n');
    expect(reply).toMatch(/^PING \{ address: '127\.0\.0\.1', port: \d+, family: 'IPv4' \}$/);
    const stats = rest.join('\n');
    expect(stats).toMatch(/received: 1,/);
    expect(stats).toMatch(/sent: 1,/);
    expect(stats).toMatch(/dropped: 0,/);
    expect(rest.at(-2)).toBe('StreamClosedError Cannot receive: the endpoint is closed');
  }, 30_000);

  it('shares a port with reusePort where this Node has it, and is refused ENOTSUP where not', async () => {
    const stdout = await runCleanly(reusePortExample.code, { cwd });
    expect(stdout.trimEnd()).toBe(reusePortSupported() ? 'shared true' : 'refused ENOTSUP');
  }, 30_000);

  it('takes five datagrams in batches, each with its sender, and ends when the endpoint closes', async () => {
    const stdout = await runCleanly(batchExample.code, { cwd });
    expect(stdout.trimEnd().split('\n')).toEqual([0, 1, 2, 3, 4].map((i) => `metric ${i} true`));
  }, 30_000);
});
