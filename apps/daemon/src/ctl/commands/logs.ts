import type { Command } from 'commander';
import type { CtlContext } from '../ctl-context.js';
import { DaemonDisconnectedError } from '../daemon-disconnected-error.js';
import { UsageError } from '../usage-error.js';

/** pino's level numbers. */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every record has, shown apart from the rest. */
const FIXED_FIELDS = new Set(['topic', 'level', 'time', 'msg', 'pid', 'hostname']);

/**
 * `evergreenctl logs -f [--json]`: prints the daemon's log records as they
 * are written, until interrupted (SIGINT/SIGTERM: exit 0), the daemon
 * drops this follower for reading too slowly (exit 1), or it goes away
 * (exit 3).
 */
export function registerLogs(program: Command, ctx: CtlContext): void {
  program
    .command('logs')
    .description('follow the daemon\'s log: print each record as it is written (the daemon keeps no history: its log is its stdout)')
    .option('-f, --follow', 'follow the log (required)')
    .option('--json', 'print each record as a JSON line, as pino wrote it')
    .action(async (flags: { follow?: boolean; json?: boolean }) => {
      if (flags.follow !== true) throw new UsageError('Cannot show the log: the daemon keeps no history; follow it with: evergreenctl logs -f');
      const client = await ctx.connect();
      await client.subscribe(['log']);
      const stop = (): void => client.close();
      process.once('SIGINT', stop).once('SIGTERM', stop);
      try {
        for await (const event of client.events()) {
          if (event.kind === 'dropped') ctx.warn(`${event.count} log records were dropped: not read in time`);
          else if (event.topic === 'log') ctx.print(flags.json === true ? JSON.stringify(withoutTopic(event.fields)) : formatRecord(event.fields));
          // A slow reader of stdout: records wait in the client's bounded queue (then are counted as dropped), not in memory.
          await ctx.outputDrained();
        }
      } catch (error) {
        if (!(error instanceof DaemonDisconnectedError)) throw error;
        throw await whyFollowingEnded(ctx, error);
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
      }
    });
}

/**
 * Why the daemon closed the follow connection: it closes a subscriber that
 * does not read its events in time (this process's stdout was slow), so
 * when a fresh connection is answered the daemon is fine and dropped this
 * follower (a plain `Error`: exit 1); otherwise it went away
 * (`DaemonDisconnectedError`: exit 3).
 */
async function whyFollowingEnded(ctx: CtlContext, error: DaemonDisconnectedError): Promise<Error> {
  if (await ctx.daemonAnswers()) {
    return new Error('Cannot follow the log further: the daemon dropped this follower for reading too slowly; the daemon is still running', { cause: error });
  }
  return new DaemonDisconnectedError('Cannot follow the log further: the daemon went away', { cause: error });
}

function withoutTopic(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => key !== 'topic'));
}

/** `12:00:01.123 INFO  server added {"server":"echo"}`. */
function formatRecord(fields: Record<string, unknown>): string {
  const time = typeof fields.time === 'number' ? new Date(fields.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = LEVEL_NAMES[fields.level as number] ?? String(fields.level);
  const rest = Object.fromEntries(Object.entries(fields).filter(([key]) => !FIXED_FIELDS.has(key)));
  const details = Object.keys(rest).length === 0 ? '' : ` ${JSON.stringify(rest)}`;
  return `${time} ${level.padEnd(5)} ${String(fields.msg ?? '')}${details}`;
}
