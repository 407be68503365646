import { StreamError } from '@evergreen/stream-core';

/**
 * Every error a `UDPEndpoint` raises. Where a system error caused it
 * (`EMSGSIZE`, `EADDRINUSE`, …) it carries that error's `errno` (the
 * `@evergreen/errno` constant) and `code`, and the Node error as `cause`.
 *
 * An operation on a closed endpoint raises a `UDPError` that is also a
 * `StreamClosedError` (`err.name === 'StreamClosedError'`), built by
 * stream-core's `StreamErrorFactory`.
 */
export class UDPError extends StreamError {}
