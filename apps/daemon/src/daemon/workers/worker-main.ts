import { logLevelSchema } from '../../protocol/log-level.js';
import { createLogger } from '../logging/logger.js';
import { UNHANDLED_REJECTION } from '../main.js';
import { WorkerAgent } from './worker-agent.js';
import type { WorkerCallMessage } from './worker-call.js';
import type { AdmissionVerdictMessage } from './worker-event.js';

/**
 * The entry point of a worker process (`cluster.fork` runs this file): it
 * serves what the primary asks over the IPC channel until told to shut
 * down, or until the channel closes (the primary is gone: it exits then,
 * never left serving without its primary). Signals are the primary's to
 * act on: a SIGTERM or SIGINT sent to the whole process group (a terminal's
 * Ctrl-C, systemd's control-group kill) is ignored here, and the primary
 * drains this worker as part of the daemon's shutdown.
 */
const send = (message: object): void => {
  if (process.connected) process.send!(message);
};
const log = createLogger(logLevelSchema.parse(process.env.EVERGREEN_WORKER_LOG_LEVEL ?? 'info'), (record) => send({ kind: 'event', topic: 'log', event: record }));
process.on('unhandledRejection', (reason) => log.error({ err: reason }, UNHANDLED_REJECTION));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {});
const agent = new WorkerAgent(log, send);
process.on('message', (message: WorkerCallMessage | AdmissionVerdictMessage) => {
  agent.handle(message);
  if (message.kind === 'call' && message.method === 'shutdown') shutdownRequested = true;
});
let shutdownRequested = false;
process.on('disconnect', () => process.exit(shutdownRequested ? 0 : 1));
send({ kind: 'ready' });
