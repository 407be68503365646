import { z } from 'zod';

/** The log levels, quietest last (pino's names). */
export const logLevelSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

export type LogLevel = z.infer<typeof logLevelSchema>;
