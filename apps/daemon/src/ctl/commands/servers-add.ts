import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { ALL_LIMITS, addLimitFlags, limitsFromFlags, numberOrText, serverFlagOf } from '../server-flags.js';
import { describeServerChange } from '../describe-server.js';
import { addTlsFlags, applyTlsFlags } from '../tls-flags.js';

interface AddFlags extends Record<string, unknown> {
  handler: string;
  target?: string;
  connectTimeoutMs?: string;
  module?: string;
  export?: string;
  json?: boolean;
}

/** `evergreenctl servers add NAME LISTEN [--handler …] [limits]`: starts a new server (validated before sending). */
export function registerServersAdd(servers: Command, ctx: CtlContext): void {
  const add = servers
    .command('add')
    .description('start a new server (kept across daemon restarts)')
    .argument('<name>', 'the server\'s name: letters, digits, ".", "_", "-"')
    .argument('<listen>', 'the address to listen on: tcp://HOST:PORT, tls://HOST:PORT (with --cert and --key), pipe:///PATH or udp://HOST:PORT (port 0: any free one)')
    .option('--handler <type>', 'what it does with each connection: echo, discard, forward or module', 'echo')
    .option('--target <uri>', 'forward: where each connection is relayed')
    .option('--connect-timeout-ms <ms>', 'forward: how long the upstream connect may take')
    .option('--module <path>', 'module: the handler module file (resolved by the daemon)')
    .option('--export <name>', 'module: the export to call (default: the default export)');
  addLimitFlags(add, ALL_LIMITS, false);
  addTlsFlags(add);
  add.option('--json', 'print the new server as JSON').action(async (name: string, listen: string, flags: AddFlags) => {
    const spec = checkOptions(methodParams['servers.add'], serverSpec(name, listen, flags), `Cannot add server "${name}"`, serverFlagOf);
    const server = await (await ctx.connect()).addServer(spec);
    if (flags.json === true) ctx.printJson(server);
    else ctx.print(describeServerChange(server, 'added'));
  });
}

/** The spec the flags describe; only the fields given are set, so the schema names any that do not fit the handler. */
function serverSpec(name: string, listen: string, flags: AddFlags): ServerSpec {
  const handler: Record<string, unknown> = { type: flags.handler };
  if (flags.target !== undefined) handler.target = flags.target;
  if (flags.connectTimeoutMs !== undefined) handler.connectTimeoutMs = numberOrText(flags.connectTimeoutMs);
  if (flags.module !== undefined) handler.path = flags.module;
  if (flags.export !== undefined) handler.export = flags.export;
  const spec: Record<string, unknown> = { name, listen, handler, ...limitsFromFlags(flags, ALL_LIMITS, false) };
  applyTlsFlags(spec, flags);
  return spec as ServerSpec;
}
