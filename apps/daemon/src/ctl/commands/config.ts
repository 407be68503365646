import type { Command } from 'commander';
import type { CtlContext } from '../ctl-context.js';

/** `evergreenctl config show [--json]`: the config the daemon runs, its runtime changes and conflicts. */
export function registerConfig(program: Command, ctx: CtlContext): void {
  const config = program.command('config').description('show the daemon\'s config');
  config
    .command('show', { isDefault: true })
    .description('print the config file\'s path and contents (as JSON), the runtime changes kept in the state file, and conflicts')
    .option('--json', 'print everything as one JSON document: { file, config, state, conflicts }')
    .action(async (flags: { json?: boolean }) => {
      const view = await (await ctx.connect()).getConfig();
      if (flags.json === true) return ctx.printJson(view);
      ctx.print(`# config file: ${view.file ?? '(none: the embedded default)'}`);
      ctx.printJson(view.config);
      ctx.print([`# runtime changes (state file):`, JSON.stringify(view.state, null, 2)]);
      for (const conflict of view.conflicts) ctx.print(`# conflict: server "${conflict.name}": ${conflict.reason}`);
    });
}
