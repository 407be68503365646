import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ctl, startDaemon, tempDir } from './ctl-helpers.js';

/**
 * evergreenctl loads only what the command it runs needs (issue 16: a CLI
 * that answers at once). A structural check, not a timed one: the modules
 * each run loads are recorded by a loader hook preloaded with `--import`;
 * how fast that makes it is bench/control/cli-startup.mjs's business.
 */

const RECORDER = fileURLToPath(new URL('../fixtures/record-imports.mjs', import.meta.url));
const TEST_TIMEOUT_MS = 120_000;

/** Runs evergreenctl `args` with the recorder; resolves its exit code and the URLs of the modules it loaded. */
async function loadedBy(args: readonly string[]): Promise<{ code: number | null; modules: string[] }> {
  const record = join(tempDir('evergreen-imports-'), 'imports.txt');
  const run = await ctl(args, { env: { NODE_OPTIONS: `--import ${RECORDER}`, RECORD_IMPORTS: record } });
  const modules = readFileSync(record, 'utf8').split('\n').filter((line) => line !== '');
  return { code: run.code, modules };
}

const from = (modules: readonly string[], pkg: string): string[] => modules.filter((url) => url.includes(`/node_modules/${pkg}/`));
const commandModules = (modules: readonly string[]): string[] =>
  modules.filter((url) => url.includes('/dist/ctl/commands/')).map((url) => url.slice(url.lastIndexOf('/') + 1)).sort();

describe('evergreenctl loads what the command needs', () => {
  it('status loads neither zod nor any other command, and still answers; servers add loads zod to check its flags', async () => {
    const daemon = await startDaemon();
    const status = await loadedBy([...daemon.flag, 'status']);
    expect(status.code).toBe(0);
    // The recorder works: it saw the command's own module and msgpackr, which status needs.
    expect(commandModules(status.modules)).toEqual(['status.js']);
    expect(from(status.modules, 'msgpackr')).not.toEqual([]);
    expect(from(status.modules, 'zod')).toEqual([]);

    const add = await loadedBy([...daemon.flag, 'servers', 'add', 'web', 'tcp://127.0.0.1:0', '--max-connections', 'many']);
    expect(add.code).toBe(2);
    expect(from(add.modules, 'zod')).not.toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('--help, an unknown command and help load every command, so they list them all', async () => {
    for (const args of [['--help'], ['no-such-command'], ['help']]) {
      const { modules } = await loadedBy(args);
      expect(commandModules(modules), args.join(' ')).toEqual(expect.arrayContaining(['status.js', 'servers.js', 'conns.js', 'top.js', 'connect.js']));
    }
    const help = await ctl(['--help']);
    expect(help.stdout).toMatch(/status[\s\S]*servers[\s\S]*conns[\s\S]*stats[\s\S]*config[\s\S]*logs[\s\S]*log-level[\s\S]*reload[\s\S]*shutdown[\s\S]*top[\s\S]*connect/);
  }, TEST_TIMEOUT_MS);
});
