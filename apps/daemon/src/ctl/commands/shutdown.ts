import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { methodParams } from '../../protocol/methods.js';
import { DEFAULT_DRAIN_MS } from '../../protocol/server-spec.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import type { DaemonClient } from '../daemon-client.js';
import { DaemonDisconnectedError } from '../daemon-disconnected-error.js';
import { numberOrText } from '../server-flags.js';

/** How much longer than the drain the CLI waits for the daemon to go. */
const EXIT_MARGIN_MS = 5_000;

/** How often the CLI looks whether the daemon's process is gone. */
const EXIT_POLL_MS = 50;

/**
 * `evergreenctl shutdown [--drain-ms MS]`: asks the daemon to stop, then
 * waits (bounded: the drain plus 5 s) until its process has exited — the
 * control connection closes first, then the pid `status` gave is polled —
 * and says whether it did.
 */
export function registerShutdown(program: Command, ctx: CtlContext): void {
  program
    .command('shutdown')
    .description('stop the daemon: stop accepting, let connections finish for up to --drain-ms, close the rest, exit')
    .option('--drain-ms <ms>', `how long connections may finish (default: each server's drainMs, ${DEFAULT_DRAIN_MS} unless set)`)
    .action(async (flags: { drainMs?: string }) => {
      const options = flags.drainMs === undefined ? {} : { drainMs: numberOrText(flags.drainMs) as number };
      checkOptions(methodParams.shutdown, options, 'Cannot shut the daemon down', () => '--drain-ms');
      const client = await ctx.connect();
      const { pid } = await client.status();
      const deadline = Date.now() + (options.drainMs ?? DEFAULT_DRAIN_MS) + EXIT_MARGIN_MS;
      try {
        await client.shutdown(options);
      } catch (error) {
        // Gone before it could answer: it is stopping all the same.
        if (!(error instanceof DaemonDisconnectedError)) throw error;
      }
      const gone = (await untilClosed(client, deadline - Date.now())) && (await untilExited(pid, deadline));
      ctx.print(gone ? 'evergreend stopped' : 'evergreend is stopping (still draining connections)');
    });
}

/** Resolves true once the daemon closed the connection, false after `ms`. */
async function untilClosed(client: DaemonClient, ms: number): Promise<boolean> {
  if (ms <= 0) return false;
  const closed = (async () => {
    try {
      for await (const event of client.events()) void event;
    } catch (error) {
      if (!(error instanceof DaemonDisconnectedError)) throw error;
    }
    return true;
  })();
  const timer = new AbortController();
  try {
    return await Promise.race([closed, sleep(ms, false, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}

/** Resolves true once no process has `pid` (signal 0 fails with ESRCH), false at `deadline`. */
async function untilExited(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
    await sleep(EXIT_POLL_MS);
  }
  return false;
}
