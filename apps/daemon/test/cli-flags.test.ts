import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, createSandbox, runDaemon } from './daemon-process.js';

afterEach(cleanUp);

describe('evergreend command line', () => {
  it('--help prints the usage with every flag and exits 0', async () => {
    const sandbox = await createSandbox();
    const result = await runDaemon(sandbox, ['--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: evergreend \[options\]/);
    for (const flag of ['--config', '--socket', '--state-dir', '--log-level', '--workers', '--check', '--version', '--help']) expect(result.stdout).toContain(flag);
  });

  it('--version prints the version of its package.json and exits 0', async () => {
    const sandbox = await createSandbox();
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await runDaemon(sandbox, ['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('an unknown flag exits 2 naming the flag, with the usage on stderr and nothing started', async () => {
    const sandbox = await createSandbox();
    const result = await runDaemon(sandbox, ['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^evergreend: .*'--bogus'/);
    expect(result.stderr).toContain('Usage: evergreend [options]');
  });

  it('a --log-level that is not a level exits 2 naming the value and the levels', async () => {
    const sandbox = await createSandbox();
    const result = await runDaemon(sandbox, ['--log-level', 'loud']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('evergreend: --log-level loud: expected one of trace, debug, info, warn, error, fatal, silent\n');
  });

  it('a --workers that is not a count or auto exits 2 naming the value and what is expected', async () => {
    const sandbox = await createSandbox();
    for (const value of ['1.5', 'many', '65']) {
      const result = await runDaemon(sandbox, ['--workers', value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`evergreend: --workers ${value}: expected a whole number from 0 to 64, or auto\n`);
    }
  });
});
