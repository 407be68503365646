import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
/** The bound on the child run: a run past it is killed by pid and the test fails. */
const RUN_BOUND_MS = 120_000;

let scratch: string | undefined;
afterEach(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe('temporary files', () => {
  it('the compliance suite over Unix sockets leaves nothing in the temp dir', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'evergreen-tmpdir-'));
    // One test of the suite in a child vitest whose temp dir is `scratch`: the harness makes its socket dir there.
    const child = spawn(process.execPath, [vitest, 'run', 'test/compliance.test.ts', '-t', 'returns true when the OS takes the data at once'], {
      cwd: packageDir,
      env: { ...process.env, TMPDIR: scratch },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), RUN_BOUND_MS);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);

    expect({ code, output }).toMatchObject({ code: 0, output: expect.stringMatching(/passed/) });
    expect(readdirSync(scratch)).toEqual([]);
  }, RUN_BOUND_MS + 10_000);
});
