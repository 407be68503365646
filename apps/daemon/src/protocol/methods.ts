import { MAX_TIMER_MS } from '@evergreen/stream-core';
import { z } from 'zod';
import { boundedString } from './bounded.js';
import { logLevelSchema } from './log-level.js';
import { serverSpecSchema, serverUpdateSchema } from './server-spec.js';

/**
 * The daemon's control methods and the schema of each one's options (the
 * map that is a request's only param; no options: `[]`). The daemon validates
 * with these and the CLI builds its requests from them, so the two cannot
 * disagree; strings and lists are held to the decoder's limits (bounded.ts).
 * `hello`, `subscribe` and `unsubscribe` belong to the RPC layer.
 */

const nameOnly = z.strictObject({ name: serverSpecSchema.shape.name });
const noOptions = z.strictObject({});
const drainMs = z.int().min(0).max(MAX_TIMER_MS);

export { TOPICS, type Topic } from './topics.js';
export { PROTOCOL_VERSION } from './protocol-version.js';

export const methodParams = {
  status: noOptions,
  'servers.list': noOptions,
  'servers.add': serverSpecSchema,
  'servers.update': serverUpdateSchema,
  'servers.remove': z.strictObject({ name: serverSpecSchema.shape.name, drainMs: drainMs.optional() }),
  'servers.pause': z.strictObject({ name: serverSpecSchema.shape.name, mode: z.enum(['unbind', 'refuse']).default('unbind') }),
  'servers.resume': nameOnly,
  'connections.list': z.strictObject({
    server: boundedString().optional(),
    source: boundedString().optional(),
    peer: boundedString().optional(),
    offset: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.int().min(1).max(1000).optional(),
  }),
  'connections.close': z.strictObject({ id: boundedString().min(1) }),
  stats: noOptions,
  'config.get': noOptions,
  'config.reload': z.strictObject({ dryRun: z.boolean().optional() }),
  'tls.reload': z.strictObject({ name: serverSpecSchema.shape.name.optional() }),
  'log.setLevel': z.strictObject({ level: logLevelSchema }),
  'workers.restart': noOptions,
  shutdown: z.strictObject({ drainMs: drainMs.optional() }),
} as const;

/** A daemon method's name. */
export type MethodName = keyof typeof methodParams;

/** The options a method takes, as a caller writes them. */
export type MethodOptions<M extends MethodName> = z.input<(typeof methodParams)[M]>;

/** The options a method gets, validated and with defaults. */
export type MethodParams<M extends MethodName> = z.output<(typeof methodParams)[M]>;
