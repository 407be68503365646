// The run's temporary directory (configs, control sockets, state), made on
// first use and removed when the orchestrator exits, also after a failure.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let runDir;
let made = 0;

/** A new, empty directory of its own inside the run's temporary directory. */
export function freshDir(name) {
  if (runDir === undefined) {
    runDir = mkdtempSync(join(tmpdir(), 'evergreen-bench-daemon-'));
    process.once('exit', () => rmSync(runDir, { recursive: true, force: true }));
  }
  const dir = join(runDir, `${name}-${++made}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}
