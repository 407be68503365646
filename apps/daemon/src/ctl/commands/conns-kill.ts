import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';

/** `evergreenctl conns kill ID`: closes one connection (the daemon's side); an ID over the protocol's limits is a usage error. */
export function registerConnsKill(conns: Command, ctx: CtlContext): void {
  conns
    .command('kill')
    .description('close a connection now (its peer sees it closed)')
    .argument('<id>', 'the connection, as conns lists it')
    .option('--json', 'print the daemon\'s answer as JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      checkOptions(methodParams['connections.close'], { id }, 'Cannot close the connection', (path) => (path === 'id' ? 'ID' : undefined));
      const result = await (await ctx.connect()).closeConnection(id);
      if (flags.json === true) ctx.printJson(result);
      else ctx.print(`connection ${result.id} closed`);
    });
}
