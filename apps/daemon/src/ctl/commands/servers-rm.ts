import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { numberOrText } from '../server-flags.js';
import { describeServerChange } from '../describe-server.js';

/** `evergreenctl servers rm NAME [--drain-ms MS]`: stops a server and forgets it. */
export function registerServersRm(servers: Command, ctx: CtlContext): void {
  servers
    .command('rm')
    .alias('remove')
    .description('stop a server (its connections may finish for up to --drain-ms) and forget it')
    .argument('<name>', 'the server')
    .option('--drain-ms <ms>', 'how long its connections may finish (default: the server\'s drainMs)')
    .option('--json', 'print the removed server as JSON')
    .action(async (name: string, flags: { drainMs?: string; json?: boolean }) => {
      const options = flags.drainMs === undefined ? { name } : { name, drainMs: numberOrText(flags.drainMs) as number };
      checkOptions(methodParams['servers.remove'], options, `Cannot remove server "${name}"`, (path) => (path === 'drainMs' ? '--drain-ms' : undefined));
      const server = await (await ctx.connect()).removeServer(name, options);
      if (flags.json === true) ctx.printJson(server);
      else ctx.print(describeServerChange(server, 'removed'));
    });
}
