import { z } from 'zod';
import { MAX_TIMER_MS } from '@evergreen/stream-core';
import { CONTROL_IDLE_TIMEOUT_MS, MAX_SERVERS } from '../../protocol/limits.js';
import { logLevelSchema } from '../../protocol/log-level.js';
import { serverSpecSchema } from '../../protocol/server-spec.js';
import { metricsConfigSchema } from '../observe/metrics-config.js';
import { MAX_CONTROL_SOCKETS, controlSocketSchema } from './control-socket-schema.js';
import { workersSchema } from './workers-schema.js';

const SCHEME = /^[a-z][a-z0-9+.-]*$/;

/**
 * `shutdownDelayMs` (and `--shutdown-delay-ms`): how long a SIGTERM'd daemon
 * goes on accepting, already not ready, before it drains — the time a load
 * balancer (Kubernetes removing the pod's endpoints) takes to stop sending.
 */
export const shutdownDelayMsSchema = z
  .int()
  .min(0)
  .max(MAX_TIMER_MS)
  .describe('On SIGTERM/SIGINT: milliseconds to keep accepting (not ready, STOPPING=1 sent) before draining; default 0');

/**
 * The default of `moduleLoadTimeoutMs` (30 s): how long importing a
 * server's handler module or transport package may take. An import cannot
 * be cancelled; past this the server fails to start (the import may go on).
 */
export const DEFAULT_MODULE_LOAD_TIMEOUT_MS = 30_000;

/**
 * The daemon's config file (`evergreend.json`). Strict: an unknown field is
 * an error, so a typo never silently does nothing. Server names are unique,
 * and there are at most `MAX_SERVERS`.
 */
export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe('The JSON Schema this file follows, for editors'),
    servers: z
      .array(serverSpecSchema)
      .max(MAX_SERVERS, `expected at most ${MAX_SERVERS} servers, the most a daemon hosts`)
      .default([])
      .describe(`The servers to host (at most ${MAX_SERVERS})`),
    log: z
      .strictObject({ level: logLevelSchema.default('info').describe('The least severe level logged') })
      .default({ level: 'info' }),
    transports: z
      .record(z.string().regex(SCHEME, 'expected a URI scheme such as "quic"'), z.string().min(1).describe('The package (or file) exporting `transport`'))
      .default({})
      .describe('Extra transport packages by URI scheme, beside tcp, tls, pipe and udp'),
    moduleLoadTimeoutMs: z
      .int()
      .min(1)
      .max(MAX_TIMER_MS)
      .default(DEFAULT_MODULE_LOAD_TIMEOUT_MS)
      .describe(`How long loading a server's handler module or transport package may take before the server fails to start (ms); default ${DEFAULT_MODULE_LOAD_TIMEOUT_MS}`),
    control: z
      .strictObject({
        socket: z.string().startsWith('/', 'expected an absolute path').optional().describe('The control socket path (level admin, mode 0600)'),
        sockets: z
          .array(controlSocketSchema)
          .max(MAX_CONTROL_SOCKETS, `expected at most ${MAX_CONTROL_SOCKETS} control sockets`)
          .optional()
          .describe('More control sockets, each with its own level, mode and group (read at start; a reload leaves them as they are)'),
        idleTimeoutMs: z
          .int()
          .min(0)
          .max(MAX_TIMER_MS)
          .default(CONTROL_IDLE_TIMEOUT_MS)
          .describe(`Close a control connection idle this long: no request in progress, not subscribed (ms; 0: never); default ${CONTROL_IDLE_TIMEOUT_MS}`),
      })
      .default({ idleTimeoutMs: CONTROL_IDLE_TIMEOUT_MS }),
    metrics: metricsConfigSchema.optional(),
    shutdownDelayMs: shutdownDelayMsSchema.default(0),
    workers: workersSchema.default(0),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.servers.forEach((server, index) => {
      if (seen.has(server.name)) ctx.addIssue({ code: 'custom', path: ['servers', index, 'name'], input: server.name, message: `expected a unique name: "${server.name}" is used twice` });
      seen.add(server.name);
    });
    const paths = new Set(config.control.socket === undefined ? [] : [config.control.socket]);
    config.control.sockets?.forEach((socket, index) => {
      if (paths.has(socket.path)) ctx.addIssue({ code: 'custom', path: ['control', 'sockets', index, 'path'], input: socket.path, message: `expected a path of its own: "${socket.path}" is another control socket's` });
      paths.add(socket.path);
    });
  });

/** A validated config, defaults filled in. */
export type DaemonConfig = z.output<typeof configSchema>;
/** A config as written in a file. */
export type DaemonConfigInput = z.input<typeof configSchema>;
