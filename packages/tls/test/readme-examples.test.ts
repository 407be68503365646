import { describe, expect, it } from 'vitest';
import { packageExamples, runCleanly } from '../../../scripts/readme-example-tests.mjs';
import { opensslVersion } from '../src/testing/index.js';

const { examples, cwd } = packageExamples(import.meta.url);

describe.skipIf(opensslVersion === undefined)('the README examples, run as a user would', () => {
  const [example, ...others] = examples;

  it('has the one example these tests know', () => {
    expect(example).toBeDefined();
    expect(others).toEqual([]);
  });

  it('makes a certificate, echoes a line through a verified TLS connection, and exits', async () => {
    expect(await runCleanly(example.code, { cwd })).toBe('true TLSv1.3\nhello\n\n0\n');
  }, 30_000);
});
