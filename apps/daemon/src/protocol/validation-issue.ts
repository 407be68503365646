import type { z } from 'zod';

/** One reason an input failed its schema: where, what was there, what was expected. */
export interface ValidationIssue {
  /** Where, as JavaScript writes it: `servers[0].handler.target`; `''` for the input as a whole. */
  path: string;
  /** The value found at `path` (`undefined` when it is missing). */
  value: unknown;
  /** What was expected there: a type name (`'string'`) where zod names one, else its message. */
  expected: string;
  /** zod's sentence about it (`Invalid input: expected string, received number`). */
  message: string;
}

/**
 * Formats a path as JavaScript would write it: `servers[0].listen`; keys
 * that are not identifiers are quoted (`transports["my-scheme"]`).
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/**
 * The issues of a failed parse of `input`, each with the offending value
 * read back from `input` (own properties only). An unknown key is reported
 * at the key itself, not at its map. Never throws.
 */
export function validationIssues(error: z.ZodError, input: unknown): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : issue.path;
    const expected = 'expected' in issue && typeof issue.expected === 'string' ? issue.expected : issue.message;
    return { path: formatPath(path), value: valueAt(input, path), expected, message: issue.message };
  });
}

/** One line per issue: `servers[0].listen: got "x"; expected a URI like "tcp://…"`. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path === '' ? '(top level)' : issue.path}: got ${describeValue(issue.value)}; ${issue.message}`).join('\n');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A value as an issue shows it: JSON, cut to 80 characters; `nothing` when missing. Never throws for JSON-able input. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
