import type { z } from 'zod';

/** One reason an input failed its schema: where, what was there, what was expected. */
export interface ValidationIssue {
  /** `servers[0].handler.target`; empty for the input as a whole. */
  path: string;
  /** The value found at `path` (`undefined` when it is missing). */
  value: unknown;
  /** What the schema expected there, as a sentence. */
  expected: string;
}

/** `['servers', 0, 'listen']` → `servers[0].listen`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

/** The issues of a failed parse of `input`, each with the offending value read back from `input`. */
export function validationIssues(error: z.ZodError, input: unknown): ValidationIssue[] {
  return error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = keys.length > 0 ? [...issue.path, keys[0]!] : issue.path;
    const expected = keys.length > 0 ? `no field ${keys.map((key) => `"${key}"`).join(', ')} (unknown)` : issue.message;
    return { path: formatPath(path), value: valueAt(input, path), expected };
  });
}

/** One line per issue: `servers[0].listen: got "x"; expected a URI like "tcp://…"`. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path === '' ? '(top level)' : issue.path}: got ${describeValue(issue.value)}; ${issue.expected}`).join('\n');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
