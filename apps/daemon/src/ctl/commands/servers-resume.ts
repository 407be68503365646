import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { describeServerChange } from '../describe-server.js';

/** `evergreenctl servers resume NAME`: takes connections again after a pause. */
export function registerServersResume(servers: Command, ctx: CtlContext): void {
  servers
    .command('resume')
    .description('take connections again after a pause (binds again after --mode unbind)')
    .argument('<name>', 'the server')
    .option('--json', 'print the resumed server as JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      checkOptions(methodParams['servers.resume'], { name }, `Cannot resume server "${name}"`, (path) => (path === 'name' ? 'NAME' : undefined));
      const server = await (await ctx.connect()).resumeServer(name);
      if (flags.json === true) ctx.printJson(server);
      else ctx.print(describeServerChange(server, 'resumed'));
    });
}
