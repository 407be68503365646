import type { Command } from 'commander';
import type { CtlContext } from '../ctl-context.js';

/** `evergreenctl workers restart [--json]`: a rolling restart of the daemon's worker processes. */
export function registerWorkers(program: Command, ctx: CtlContext): void {
  const workers = program.command('workers').description('the worker processes of a daemon run with workers ≥ 1 (restart)');
  workers
    .command('restart')
    .description('start a new generation of workers with the code on disk and hand it the listeners; the old generation finishes its connections (drainMs) and exits; answers once the new one serves')
    .option('--json', 'print the result as JSON: { generation, workers: [{ pid, generation, slot, state, … }] }')
    .action(async (flags: { json?: boolean }) => {
      const result = await (await ctx.connect()).restartWorkers();
      if (flags.json === true) ctx.printJson(result);
      else ctx.print([`generation ${result.generation} serves: workers ${result.workers.map((worker) => worker.pid).join(', ')}`]);
    });
}
