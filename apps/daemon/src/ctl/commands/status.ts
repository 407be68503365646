import type { Command } from 'commander';
import type { DaemonStatus } from '../../protocol/results.js';
import type { CtlContext } from '../ctl-context.js';
import { formatBytes, formatDuration, formatTime } from '../human-units.js';

/** `evergreenctl status [--json]`: the daemon at a glance. */
export function registerStatus(program: Command, ctx: CtlContext): void {
  program
    .command('status')
    .description('show the daemon: version, pid, uptime, servers, connections, memory, metrics address')
    .option('--json', 'print the status as JSON')
    .action(async (flags: { json?: boolean }) => {
      const status = await (await ctx.connect()).status();
      if (flags.json === true) ctx.printJson(status);
      else ctx.print(describeStatus(status));
    });
}

function describeStatus(status: DaemonStatus): string[] {
  const { servers } = status;
  return [
    `${status.name} ${status.version} (pid ${status.pid}, node ${status.node})`,
    `up          ${formatDuration(status.uptimeMs)} (since ${formatTime(status.startedAt)})`,
    `servers     ${servers.total} (${servers.listening} listening, ${servers.paused} paused, ${servers.stopping} stopping)`,
    `connections ${status.connections}`,
    `log level   ${status.logLevel}`,
    `config      ${status.configFile ?? '(embedded default)'}`,
    `state       ${status.stateFile}`,
    `memory      ${formatBytes(status.memory.rss)} rss, ${formatBytes(status.memory.heapUsed)} heap used`,
    ...(status.metrics === undefined ? [] : [`metrics     ${describeMetrics(status.metrics)}`]),
  ];
}

/** The metrics endpoint's line: its address and paths, or why there is none. */
function describeMetrics(metrics: DaemonStatus['metrics']): string {
  if (metrics === null || metrics === undefined) return 'off';
  if (metrics.address === null) return `${metrics.listen} (not bound)`;
  return `${metrics.address} (/metrics, /healthz, /readyz)`;
}
