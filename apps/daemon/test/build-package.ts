import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: builds this package (incrementally: a no-op when
 * dist is current) and bundles evergreenctl from it again, so the child
 * programs (the bins, test/fixtures), which run dist, run the code under
 * test also when vitest is run directly.
 */
export default function buildPackage(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.json'], { cwd, stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/bundle-ctl.mjs'], { cwd, stdio: 'inherit' });
}
