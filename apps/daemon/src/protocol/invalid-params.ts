import type { z } from 'zod';
import { RpcError, RpcErrorCode } from './rpc-error.js';
import { validationIssues } from './validation-issue.js';

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
  const issues = validationIssues(error, input);
  const message = issues.map((issue) => `${issue.path === '' ? 'params' : issue.path}: ${issue.message}`).join('; ');
  const first = issues[0] ?? { path: '', value: input, expected: 'valid params' };
  return new RpcError(RpcErrorCode.INVALID_PARAMS, `Cannot accept the params: ${message}`, {
    path: first.path,
    value: first.value,
    expected: first.expected,
  } satisfies InvalidParamsData);
}
