import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctl, tempDir } from './ctl-helpers.js';

/**
 * evergreenctl keeps Node's compile cache (Node 22.1+) under the user's XDG
 * cache dir, and starts all the same when that dir cannot be made. Node 20
 * has no such cache: there nothing is written.
 */

const TEST_TIMEOUT_MS = 60_000;
const HAS_COMPILE_CACHE = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
/** The environment of a run with XDG_CACHE_HOME `cacheHome` and no compile cache settings of the caller's. */
const envWith = (cacheHome: string): NodeJS.ProcessEnv => ({ XDG_CACHE_HOME: cacheHome, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined });

describe('evergreenctl compile cache', () => {
  it(`is written under $XDG_CACHE_HOME/evergreen/compile-cache (${HAS_COMPILE_CACHE ? 'this Node has one' : 'Node 20: none, nothing written'})`, async () => {
    const cacheHome = tempDir('evergreen-cache-');
    const run = await ctl(['--version'], { env: envWith(cacheHome) });
    expect(run.code).toBe(0);
    const dir = join(cacheHome, 'evergreen', 'compile-cache');
    if (HAS_COMPILE_CACHE) {
      // One folder per Node version, holding an entry per module compiled.
      const [version, ...others] = readdirSync(dir);
      expect(others).toEqual([]);
      expect(readdirSync(join(dir, version!)).length).toBeGreaterThan(0);
    } else {
      expect(existsSync(dir)).toBe(false);
    }
  }, TEST_TIMEOUT_MS);

  it('leaves the cache off, quietly, when its dir cannot be made', async () => {
    const cacheHome = join(tempDir('evergreen-cache-'), 'a-file');
    writeFileSync(cacheHome, '');
    const run = await ctl(['--version'], { env: envWith(cacheHome) });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  }, TEST_TIMEOUT_MS);
});
