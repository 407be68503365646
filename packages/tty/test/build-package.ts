import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: builds this package (incrementally, a no-op when dist
 * is current) so the child programs under test/fixtures, which import
 * '@evergreen/tty' by name, run the code under test — also when vitest is run
 * directly rather than through `nx run tty:test`.
 */
export default function buildPackage(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
}
