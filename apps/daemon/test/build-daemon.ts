import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * vitest global setup: builds the daemon (`npm run build` here: tsc -b is
 * incremental, a no-op when dist is current) so the spawned
 * bin/evergreend.mjs runs the code under test, also when vitest is run
 * directly rather than through `nx run daemon:test`.
 */
export default function buildDaemon(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
}
