import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from '../../protocol/log-level.js';

export type { Logger };

/** A listener told of every log record (the control pipe's `log` subscribers). */
export type LogTap = (record: Record<string, unknown>) => void;

/**
 * The daemon's logger: pino JSON lines on stdout, pretty-printed
 * (pino-pretty, synchronously) when stdout is a terminal. `tap`, when
 * given, also receives each record as an object.
 */
export function createLogger(level: LogLevel, tap?: LogTap): Logger {
  const out = process.stdout.isTTY ? pretty({ sync: true, colorize: true }) : pino.destination({ dest: 1, sync: true });
  if (tap === undefined) return pino({ level, base: { pid: process.pid } }, out);
  const tee = { write: (line: string) => { out.write(line); tap(JSON.parse(line) as Record<string, unknown>); } };
  return pino({ level, base: { pid: process.pid } }, tee);
}
