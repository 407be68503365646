import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { CtlContext, processOutput } from './ctl-context.js';
import { ExitCode } from './exit-codes.js';
import { reportError } from './report-error.js';

/** Adds one command (and its subcommands) to the program. */
type Register = (program: Command, ctx: CtlContext) => void;

/**
 * Each command's module, loaded only when that command runs (or for a help
 * that lists them all): `status` must not pay for the zod schemas `servers
 * add` validates its flags with, nor for the tty code of `top`. In the order
 * `--help` lists them.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  status: async () => (await import('./commands/status.js')).registerStatus,
  servers: async () => (await import('./commands/servers.js')).registerServers,
  conns: async () => (await import('./commands/conns.js')).registerConns,
  stats: async () => (await import('./commands/stats.js')).registerStats,
  config: async () => (await import('./commands/config.js')).registerConfig,
  logs: async () => (await import('./commands/logs.js')).registerLogs,
  'log-level': async () => (await import('./commands/log-level.js')).registerLogLevel,
  reload: async () => (await import('./commands/reload.js')).registerReload,
  tls: async () => (await import('./commands/tls-reload.js')).registerTls,
  workers: async () => (await import('./commands/workers-restart.js')).registerWorkers,
  shutdown: async () => (await import('./commands/shutdown.js')).registerShutdown,
  top: async () => (await import('./commands/top.js')).registerTop,
  connect: async () => (await import('./commands/connect.js')).registerConnect,
};

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
 * The command `argv` names: its first word that is neither an option nor
 * the value of `--socket`. Undefined when there is none (`--help`,
 * `--version`, nothing): every command is then registered, as for a word
 * that names none (`help`, a typo), so help and commander's errors list
 * them all.
 */
function commandOf(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--socket') index += 1;
    else if (arg === '--') return argv[index + 1];
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * Runs evergreenctl with `argv` (without node and the script) through
 * commander, which reads every command line, prints help and words usage
 * errors; resolves the exit code as `runCtl` does. Never rejects.
 */
export async function runProgram(argv: readonly string[]): Promise<number> {
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
  try {
    const named = commandOf(argv);
    const wanted = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
    for (const register of await Promise.all(wanted.map((name) => COMMANDS[name]!()))) register(program, ctx);
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    // commander has printed its own message (or the help `--help` asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    return reportError(ctx, error);
  } finally {
    ctx.closeAll();
  }
}
