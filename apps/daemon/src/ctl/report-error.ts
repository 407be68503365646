import { RpcError, RpcErrorCode } from '../protocol/rpc-error.js';
import type { CtlContext } from './ctl-context.js';
import { DaemonAccessError } from './daemon-access-error.js';
import { DaemonDisconnectedError } from './daemon-disconnected-error.js';
import { DaemonNotRunningError } from './daemon-not-running-error.js';
import { DaemonUnresponsiveError } from './daemon-unresponsive-error.js';
import { ExitCode } from './exit-codes.js';
import { UsageError } from './usage-error.js';

/**
 * Prints what went wrong on stderr and returns the exit code it means:
 * the daemon's refusal (its message, then each field of `data` such as
 * `path`, `value`, `expected` or `code`; for a call above the socket's level,
 * which socket to use instead) is 1; a usage error 2; no daemon, a peer that does not answer `hello`, no
 * access, or the daemon gone 3; anything
 * else 1 with its message.
 */
export function reportError(ctx: CtlContext, error: unknown): number {
  if (error instanceof UsageError) {
    ctx.warn(`${error.message}\n(add --help for usage)`);
    return ExitCode.USAGE;
  }
  if (error instanceof DaemonNotRunningError || error instanceof DaemonUnresponsiveError || error instanceof DaemonAccessError || error instanceof DaemonDisconnectedError) {
    ctx.warn(error.message);
    return ExitCode.NO_DAEMON;
  }
  if (error instanceof RpcError && error.code === RpcErrorCode.FORBIDDEN) {
    const { required } = (error.data ?? {}) as { required?: unknown };
    ctx.warn(`${error.message}\n  socket: ${ctx.socketPath}\n(use a control socket of level ${String(required)}: --socket PATH or EVERGREEN_SOCKET)`);
    return ExitCode.REFUSED;
  }
  if (error instanceof RpcError) {
    ctx.warn([error.message, ...dataLines(error.data)].join('\n'));
    return ExitCode.REFUSED;
  }
  ctx.warn(error instanceof Error ? error.message : String(error));
  return ExitCode.REFUSED;
}

/**
 * `{ path: 'listen', value: 'x' }` → `["  path: listen", "  value: \"x\""]`.
 * A config's `issues` are left out: its message lists them already.
 */
function dataLines(data: unknown): string[] {
  if (typeof data !== 'object' || data === null) return data === undefined ? [] : [`  data: ${JSON.stringify(data)}`];
  return Object.entries(data)
    .filter(([key]) => key !== 'issues')
    .map(([key, value]) => `  ${key}: ${typeof value === 'string' && key !== 'value' ? value : JSON.stringify(value)}`);
}
