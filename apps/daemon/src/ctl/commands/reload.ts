import type { Command } from 'commander';
import type { ReloadReport } from '../../protocol/results.js';
import type { CtlContext } from '../ctl-context.js';
import { ExitCode } from '../exit-codes.js';
import { describeTlsReload } from './tls-reload.js';

/** `evergreenctl reload [--dry-run] [--json]`: applies the config file again, by difference. */
export function registerReload(program: Command, ctx: CtlContext): void {
  program
    .command('reload')
    .description('read the config file again and apply the difference (unchanged servers keep their connections; tls:// ones re-read their credential files); exit 1 when a server failed to start or its credentials to reload')
    .option('--dry-run', 'only report what a reload would do')
    .option('--json', 'print the report as JSON')
    .action(async (flags: { dryRun?: boolean; json?: boolean }) => {
      const report = await (await ctx.connect()).reload({ dryRun: flags.dryRun === true });
      if (flags.json === true) ctx.printJson(report);
      else ctx.print(describeReport(report));
      if (report.failed.length > 0 || report.tls?.some((each) => each.status === 'failed') === true) ctx.exitWith(ExitCode.REFUSED);
    });
}

function describeReport(report: ReloadReport): string[] {
  const list = (names: readonly string[]): string => (names.length === 0 ? '-' : names.join(', '));
  return [
    report.dryRun ? 'dry run: nothing was changed; a reload would do this:' : 'config reloaded:',
    `  added      ${list(report.added)}`,
    `  removed    ${list(report.removed)}`,
    `  restarted  ${list(report.restarted)}`,
    `  unchanged  ${list(report.unchanged)}`,
    ...report.conflicts.map((conflict) => `  conflict   ${conflict.name}: ${conflict.reason}`),
    ...report.failed.map((failure) => `  failed     ${failure.name}: ${failure.message}`),
    ...(report.tls === undefined || report.tls.length === 0 ? [] : ['TLS credentials:', ...describeTlsReload(report.tls)]),
  ];
}
