import type { Command } from 'commander';
import { logLevelSchema, type LogLevel } from '../../protocol/log-level.js';
import { methodParams } from '../../protocol/methods.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';

/** `evergreenctl log-level LEVEL`: changes what the daemon logs, at once (not kept across restarts). */
export function registerLogLevel(program: Command, ctx: CtlContext): void {
  program
    .command('log-level')
    .description('set the least severe level the daemon logs, now (until it restarts)')
    .argument('<level>', logLevelSchema.options.join(', '))
    .option('--json', 'print the daemon\'s answer as JSON')
    .action(async (level: string, flags: { json?: boolean }) => {
      const options = checkOptions(methodParams['log.setLevel'], { level: level as LogLevel }, 'Cannot set the log level', () => 'LEVEL');
      const result = await (await ctx.connect()).setLogLevel(options.level);
      if (flags.json === true) ctx.printJson(result);
      else ctx.print(`log level is now ${result.level}`);
    });
}
