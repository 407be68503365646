import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import type { PauseMode } from '../../protocol/results.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { describeServerChange } from '../describe-server.js';

/** `evergreenctl servers pause NAME [--mode unbind|refuse]`. */
export function registerServersPause(servers: Command, ctx: CtlContext): void {
  servers
    .command('pause')
    .description('stop taking connections; the open ones go on (resume undoes it)')
    .argument('<name>', 'the server')
    .option('--mode <mode>', 'unbind: release the address; refuse: keep it and close each new connection (counted)', 'unbind')
    .option('--json', 'print the paused server as JSON')
    .action(async (name: string, flags: { mode: string; json?: boolean }) => {
      const options = { name, mode: flags.mode as PauseMode };
      checkOptions(methodParams['servers.pause'], options, `Cannot pause server "${name}"`, (path) => (path === 'mode' ? '--mode' : undefined));
      const server = await (await ctx.connect()).pauseServer(name, options.mode);
      if (flags.json === true) ctx.printJson(server);
      else ctx.print(describeServerChange(server, 'paused'));
    });
}
