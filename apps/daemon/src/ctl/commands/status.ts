import type { Command } from 'commander';
import type { DaemonStatus } from '../../protocol/results.js';
import type { CtlContext } from '../ctl-context.js';
import { formatBytes, formatDuration, formatTime } from '../human-units.js';
import { UsageError } from '../usage-error.js';
import { waitUntilReady } from '../wait-until-ready.js';

/** How long `status --wait` waits by default (60 s). */
const DEFAULT_WAIT_MS = 60_000;

/** What `status` is given on its command line. */
export interface StatusFlags {
  json?: boolean;
  wait?: boolean;
  timeout?: string;
}

/**
 * The flags of `status`, for commander (`flags`, `description`) and for the
 * commander-free run of direct-status.ts (`name`, `type`): one list, so the
 * two read the same command line.
 */
export const STATUS_FLAGS: readonly { name: keyof StatusFlags; type: 'boolean' | 'string'; flags: string; description: string }[] = [
  { name: 'json', type: 'boolean', flags: '--json', description: 'print the status as JSON' },
  {
    name: 'wait',
    type: 'boolean',
    flags: '--wait',
    description: 'wait until the daemon answers and is ready (every server bound): exit 0 then, 3 if it never answered, 1 if it never got ready',
  },
  { name: 'timeout', type: 'string', flags: '--timeout <ms>', description: `how long --wait waits (default ${DEFAULT_WAIT_MS})` },
];

/** `evergreenctl status [--json] [--wait [--timeout MS]]`: the daemon at a glance, once it is ready with `--wait`. */
export function registerStatus(program: Command, ctx: CtlContext): void {
  const command = program.command('status').description('show the daemon: version, pid, uptime, servers, connections, memory, metrics address');
  for (const { flags, description } of STATUS_FLAGS) command.option(flags, description);
  command.action((flags: StatusFlags) => runStatus(ctx, flags));
}

/** Runs `status` with `flags`: prints the daemon's status, as text or JSON; rejects as `CtlContext.connect` and `waitUntilReady` do, or with a `UsageError`. */
export async function runStatus(ctx: CtlContext, flags: StatusFlags): Promise<void> {
  const status = flags.wait === true ? await waitUntilReady(ctx, timeoutOf(flags.timeout)) : await ctx.ask((client) => client.status());
  if (flags.json === true) ctx.printJson(status);
  else ctx.print(describeStatus(status));
}

function timeoutOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WAIT_MS;
  if (!/^\d{1,10}$/.test(text) || Number(text) > 2 ** 31 - 1) throw new UsageError(`--timeout ${text}: expected whole milliseconds, 0 to 2147483647`);
  return Number(text);
}

function describeStatus(status: DaemonStatus): string[] {
  const { servers } = status;
  return [
    `${status.name} ${status.version} (pid ${status.pid}, node ${status.node})`,
    `up          ${formatDuration(status.uptimeMs)} (since ${formatTime(status.startedAt)})`,
    `servers     ${servers.total} (${servers.listening} listening, ${servers.paused} paused, ${servers.stopping} stopping)`,
    `connections ${status.connections}`,
    ...(status.ready === undefined ? [] : [`ready       ${status.ready ? 'yes' : 'no'}`]),
    `log level   ${status.logLevel}`,
    `config      ${status.configFile ?? '(embedded default)'}`,
    `state       ${status.stateFile}`,
    `memory      ${formatBytes(status.memory.rss)} rss, ${formatBytes(status.memory.heapUsed)} heap used`,
    ...(status.metrics === undefined ? [] : [`metrics     ${describeMetrics(status.metrics)}`]),
    ...(status.workers === undefined || status.workers.length === 0 ? [] : [`workers     ${describeWorkers(status)}`]),
  ];
}

/** The workers' line: how many serve, their generation, how many drain, how many were replaced. */
function describeWorkers(status: DaemonStatus): string {
  const workers = status.workers ?? [];
  const draining = workers.filter((worker) => worker.state === 'draining').length;
  const serving = workers.length - draining;
  return `${serving} (generation ${status.generation ?? 1}, pids ${workers.filter((worker) => worker.state !== 'draining').map((worker) => worker.pid).join(', ')})${draining > 0 ? `, ${draining} draining` : ''}, ${status.workersReplaced ?? 0} replaced`;
}

/** The metrics endpoint's line: its address and paths, or why there is none. */
function describeMetrics(metrics: DaemonStatus['metrics']): string {
  if (metrics === null || metrics === undefined) return 'off';
  if (metrics.address === null) return `${metrics.listen} (not bound)`;
  return `${metrics.address} (/metrics, /healthz, /readyz)`;
}
