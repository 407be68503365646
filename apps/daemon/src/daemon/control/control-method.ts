import type { z } from 'zod';
import type { ControlLevel } from '../../protocol/control-level.js';
import type { ControlSession } from './control-session.js';

/**
 * One method of the control server: `params` validates the method's options
 * map (`params[0] ?? {}`), `handler` gets the parsed value and the session
 * of the connection that called it. The handler's result is the response's
 * result (plain data: maps, arrays, strings, numbers, booleans, nil); an
 * `RpcError` it throws is sent as is, anything else as `INTERNAL_ERROR`.
 * `level` is the control socket level a caller needs (default `admin`: a
 * method nobody classed is never open to a lesser socket).
 */
export interface ControlMethod<S extends z.ZodType = z.ZodType> {
  readonly params: S;
  readonly level?: ControlLevel;
  handler(params: z.output<S>, session: ControlSession): unknown;
}

/** A table of methods by name. */
export type ControlMethods = Readonly<Record<string, ControlMethod>>;

/**
 * Builds a `ControlMethod` with the handler's params typed from the schema:
 * `controlMethod(z.object({ name: z.string() }), ({ name }) => …, 'user')`.
 */
export function controlMethod<S extends z.ZodType>(params: S, handler: (params: z.output<S>, session: ControlSession) => unknown, level: ControlLevel = 'admin'): ControlMethod<S> {
  return { params, handler, level };
}
