import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ctl, startDaemon, tempDir } from './ctl-helpers.js';

/**
 * evergreenctl loads only what the command it runs needs (issue 16: a CLI
 * that answers at once). A structural check, not a timed one: the files each
 * run loads are recorded by a loader hook preloaded with `--import`, and
 * those of the evergreenctl bundle are mapped to the sources in them by the
 * bundle's metafile (dist/evergreenctl/meta.json, written by
 * scripts/bundle-ctl.mjs); how fast that makes it is
 * bench/control/cli-startup.mjs's business.
 */

const RECORDER = fileURLToPath(new URL('../fixtures/record-imports.mjs', import.meta.url));
const BUNDLE = 'dist/evergreenctl/';
const METAFILE = fileURLToPath(new URL(`../../${BUNDLE}meta.json`, import.meta.url));
const TEST_TIMEOUT_MS = 120_000;

/** The sources in each file of the bundle, by the file's path relative to the package (`dist/evergreenctl/main.js`). */
function bundleSources(): Map<string, string[]> {
  const { outputs } = JSON.parse(readFileSync(METAFILE, 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  return new Map(Object.entries(outputs).map(([file, { inputs }]) => [file, Object.keys(inputs)]));
}

/**
 * Runs evergreenctl `args` with the recorder; resolves its exit code, the
 * URLs of the files it loaded (`files`), and the sources it loaded
 * (`modules`): the sources bundled in each file of the bundle it loaded,
 * and every other file.
 */
async function loadedBy(args: readonly string[]): Promise<{ code: number | null; files: string[]; modules: string[] }> {
  const record = join(tempDir('evergreen-imports-'), 'imports.txt');
  const run = await ctl(args, { env: { NODE_OPTIONS: `--import ${RECORDER}`, RECORD_IMPORTS: record } });
  const files = readFileSync(record, 'utf8').split('\n').filter((line) => line !== '');
  const sources = bundleSources();
  const modules = files.flatMap((url) => {
    const at = url.indexOf(`/${BUNDLE}`);
    return at === -1 ? [url] : (sources.get(url.slice(at + 1)) ?? [url]);
  });
  return { code: run.code, files, modules };
}

const from = (modules: readonly string[], pkg: string): string[] => modules.filter((path) => path.includes(`node_modules/${pkg}/`));
const commandModules = (modules: readonly string[]): string[] =>
  modules.filter((path) => path.includes('dist/ctl/commands/')).map((path) => path.slice(path.lastIndexOf('/') + 1)).sort();

describe('evergreenctl loads its bundle and what the command needs', () => {
  it('status loads the bundle, neither zod nor any other command, and still answers; servers add loads zod to check its flags', async () => {
    const daemon = await startDaemon();
    const status = await loadedBy([...daemon.flag, 'status']);
    expect(status.code).toBe(0);
    // The bundle, not the files tsc writes nor the packages' own: a few files to load.
    expect(status.files.filter((url) => url.includes('/node_modules/') || url.includes('/dist/ctl/'))).toEqual([]);
    expect(status.files.filter((url) => url.includes(`/${BUNDLE}`)).length).toBeGreaterThan(0);
    // The recorder and the metafile work: it saw the command's own module and msgpackr, which status needs.
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
