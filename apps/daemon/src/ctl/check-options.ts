import type { z } from 'zod';
import { describeValue, validationIssues } from '../protocol/validation-issue.js';
import { UsageError } from './usage-error.js';

/**
 * Validates the options a command built from its flags with the method's
 * own schema (protocol/methods.ts) before anything is sent. Returns them as
 * given (the daemon applies the defaults); throws `UsageError` listing each
 * problem as `path (FLAG): got VALUE; what the schema says` (a long VALUE
 * cut to 80 characters), `flagOf` naming the flag
 * that set `path` (`allow[2]` is looked up as `allow`).
 */
export function checkOptions<S extends z.ZodType>(schema: S, input: z.input<S>, action: string, flagOf: (path: string) => string | undefined): z.input<S> {
  const result = schema.safeParse(input);
  if (result.success) return input;
  const lines = validationIssues(result.error, input).map((issue) => {
    const flag = flagOf(issue.path.replace(/\[\d+\]$/, ''));
    const where = `${issue.path === '' ? '(options)' : issue.path}${flag === undefined ? '' : ` (${flag})`}`;
    return `  ${where}: got ${describeValue(issue.value)}; ${issue.message}`;
  });
  throw new UsageError(`${action}: ${lines.length === 1 ? 'one flag is wrong' : `${lines.length} flags are wrong`}\n${lines.join('\n')}`);
}
