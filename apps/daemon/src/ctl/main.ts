import { runStatus } from './commands/status.js';
import { CtlContext } from './ctl-context.js';
import { directStatus } from './direct-status.js';
import { reportError } from './report-error.js';

/**
 * Runs evergreenctl with `argv` (without node and the script) and resolves
 * its exit code: 0 ok, 1 the daemon said no, 2 usage, 3 no daemon (see
 * docs/cli.md). Never rejects: every failure is printed on stderr and
 * becomes an exit code. Results go to stdout, diagnostics to stderr.
 *
 * A plain `status` (direct-status.ts) runs without loading commander, a
 * good part of a start: it is the command scripts, probes and people run
 * most. Every other command line, and any `status` line commander might
 * read otherwise, goes to commander (program.ts).
 */
export async function runCtl(argv: readonly string[]): Promise<number> {
  const direct = directStatus(argv);
  if (direct === undefined) return (await import('./program.js')).runProgram(argv);
  const ctx = new CtlContext(() => direct.socket);
  try {
    await runStatus(ctx, direct.flags);
    return ctx.exitCode;
  } catch (error) {
    return reportError(ctx, error);
  } finally {
    ctx.closeAll();
  }
}
