import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import type { ServerUpdate } from '../../protocol/server-spec.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { UsageError } from '../usage-error.js';
import { UPDATABLE_LIMITS, addLimitFlags, limitsFromFlags, serverFlagOf } from '../server-flags.js';
import { describeServerChange } from '../describe-server.js';

/** `evergreenctl servers set NAME [limits]`: changes a running server's limits and access lists. */
export function registerServersSet(servers: Command, ctx: CtlContext): void {
  const set = servers
    .command('set')
    .description('change the limits and access lists of a running server (from its next connection on)')
    .argument('<name>', 'the server');
  addLimitFlags(set, UPDATABLE_LIMITS, true);
  set.option('--json', 'print the changed server as JSON').action(async (name: string, flags: Record<string, unknown>) => {
    const limits = limitsFromFlags(flags, UPDATABLE_LIMITS, true);
    if (Object.keys(limits).length === 0) throw new UsageError(`Cannot change server "${name}": no limit given (see evergreenctl servers set --help)`);
    const update = checkOptions(methodParams['servers.update'], { name, ...limits } as ServerUpdate, `Cannot change server "${name}"`, serverFlagOf);
    const server = await (await ctx.connect()).updateServer(update);
    if (flags.json === true) ctx.printJson(server);
    else ctx.print(describeServerChange(server, 'changed'));
  });
}
