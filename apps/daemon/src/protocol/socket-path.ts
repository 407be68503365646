import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * The control socket when neither `--socket`, `EVERGREEN_SOCKET` nor the
 * config names one — the same for the daemon and the CLI:
 * `$XDG_RUNTIME_DIR/evergreen/control.sock`, else
 * `<tmpdir>/evergreen-<uid>/control.sock`.
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime !== undefined && runtime.startsWith('/')) return join(runtime, 'evergreen', 'control.sock');
  return join(tmpdir(), `evergreen-${userInfo().uid}`, 'control.sock');
}

