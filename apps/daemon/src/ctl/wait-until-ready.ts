import type { DaemonStatus } from '../protocol/results.js';
import type { CtlContext } from './ctl-context.js';
import { DaemonDisconnectedError } from './daemon-disconnected-error.js';
import { DaemonNotRunningError } from './daemon-not-running-error.js';
import { DaemonUnresponsiveError } from './daemon-unresponsive-error.js';

/** How often `status --wait` asks again. */
const POLL_MS = 100;

/**
 * Asks the daemon for its status until it answers and is ready (every
 * configured server bound, no shutdown begun), for `Type=exec` units'
 * `ExecStartPost=` and scripts. Resolves that status. Rejects, once
 * `timeoutMs` has passed, with the last reason the daemon could not be
 * reached (`DaemonNotRunningError`, …: exit 3) or, when it answers but is not
 * ready, an `Error` saying how far it got (exit 1); at once with any other
 * failure (access denied: waiting will not help). Cost: a connection per
 * try, every 100 ms.
 */
export async function waitUntilReady(ctx: CtlContext, timeoutMs: number): Promise<DaemonStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const status = await ctx.ask((client) => client.status());
      if (status.ready !== false) return status;
      last = status;
    } catch (error) {
      if (!(error instanceof DaemonNotRunningError || error instanceof DaemonUnresponsiveError || error instanceof DaemonDisconnectedError)) throw error;
      last = error;
    } finally {
      ctx.closeAll();
    }
    if (Date.now() + POLL_MS > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (last instanceof Error) throw last;
  const { servers } = last as DaemonStatus;
  throw new Error(`Cannot wait for the daemon: it answers but is not ready after ${timeoutMs} ms (${servers.listening} of ${servers.total} servers listening, ${servers.paused} paused, ${servers.stopping} stopping)`);
}
