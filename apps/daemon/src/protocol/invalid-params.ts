import type { z } from 'zod';
import { RpcError, RpcErrorCode } from './rpc-error.js';

/** What `data` of an `INVALID_PARAMS` error holds: where, what was there, what was expected. */
export interface InvalidParamsData {
  /** Where in the options map, as `servers[0].listen`; `''` for the map itself. */
  path: string;
  /** The value found there (`undefined`, sent as nil, when it is missing). */
  value: unknown;
  /** What was expected there: a type name (`'string'`) or zod's message. */
  expected: string;
}

/**
 * Turns a zod error from validating `input` into an `INVALID_PARAMS`
 * (-32602) `RpcError`: `data` describes the first issue, `message` lists
 * every issue as `path: message`. Never throws. Cost: one walk of each
 * issue's path.
 */
export function invalidParams(error: z.ZodError, input: unknown): RpcError {
  const issues = error.issues.map((issue) => describeIssue(issue, input));
  const message = issues.map((issue) => `${issue.path === '' ? 'params' : issue.path}: ${issue.message}`).join('; ');
  const first = issues[0] ?? { path: '', value: input, expected: 'valid params', message: 'invalid' };
  return new RpcError(RpcErrorCode.INVALID_PARAMS, `Cannot accept the params: ${message}`, {
    path: first.path,
    value: first.value,
    expected: first.expected,
  } satisfies InvalidParamsData);
}

/**
 * Formats a path as JavaScript would write it: `servers[0].listen`;
 * keys that are not identifiers are quoted (`headers["content-type"]`).
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

function describeIssue(issue: z.core.$ZodIssue, input: unknown): InvalidParamsData & { message: string } {
  // An unknown key is reported on its map; point at the key itself.
  const path = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : issue.path;
  const expected = 'expected' in issue && typeof issue.expected === 'string' ? issue.expected : issue.message;
  return { path: formatPath(path), value: valueAt(input, path), expected, message: issue.message };
}

/** The value at `path` in `input`, own properties only; `undefined` where it stops. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
