import { Command } from 'commander';
import { VERSION } from '../version.js';
import { registerConfig } from './commands/config.js';
import { registerConnect } from './commands/connect.js';
import { registerConns } from './commands/conns.js';
import { registerLogLevel } from './commands/log-level.js';
import { registerLogs } from './commands/logs.js';
import { registerReload } from './commands/reload.js';
import { registerServers } from './commands/servers.js';
import { registerShutdown } from './commands/shutdown.js';
import { registerStats } from './commands/stats.js';
import { registerStatus } from './commands/status.js';
import { registerTop } from './commands/top.js';
import { registerTls } from './commands/tls-reload.js';
import { CtlContext, processOutput } from './ctl-context.js';
import { reportError } from './report-error.js';

const EXIT_CODES_HELP = `
The control socket: --socket, else $EVERGREEN_SOCKET, else
$XDG_RUNTIME_DIR/evergreen/control.sock, else <tmpdir>/evergreen-<uid>/control.sock.
The daemon's config file is not read: when it sets control.socket, pass that
path with --socket or EVERGREEN_SOCKET.

Exit codes:
  0  done
  1  the daemon said no (its message is printed), a connect failed,
     or the daemon dropped a logs -f that read too slowly
  2  usage: unknown command or flag, bad flag value, no terminal for top
  3  no daemon answers (start one with: npx evergreend; hello is bounded to 5 s),
     access denied, or it went away`;

/**
 * Runs evergreenctl with `argv` (without node and the script) and resolves
 * its exit code: 0 ok, 1 the daemon said no, 2 usage, 3 no daemon (see
 * docs/cli.md). Never rejects: every failure is printed on stderr and
 * becomes an exit code. Results go to stdout, diagnostics to stderr.
 */
export async function runCtl(argv: readonly string[]): Promise<number> {
  const program = new Command('evergreenctl');
  const ctx = new CtlContext(() => program.opts<{ socket?: string }>().socket);
  program
    .description('Manage a running evergreend over its control socket.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--socket <path>', 'the daemon\'s control socket (default: $EVERGREEN_SOCKET, else the per-user default)')
    .exitOverride()
    .configureOutput({
      writeOut: processOutput.out,
      writeErr: processOutput.err,
      outputError: (text, write) => write(`evergreenctl: ${text.replace(/^error: /, '')}`),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  for (const register of [registerStatus, registerServers, registerConns, registerStats, registerConfig, registerLogs, registerLogLevel, registerReload, registerTls, registerShutdown, registerTop, registerConnect]) {
    register(program, ctx);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(ctx, error);
  } finally {
    ctx.closeAll();
  }
}
