import { StreamError } from '@evergreen/stream-core';

/**
 * Every error a `TTYStream` (and the std streams) raises is a `TTYError`: a
 * `StreamError` carrying `errno`/`code` (`@evergreen/errno` numbers) when the
 * OS refused something, and `cause` when a Node error lies behind it. Errors of
 * a kind are both: a read after `close()` is a `TTYError` and a
 * `StreamClosedError` (stream-core's kind branding), with `err.name` the kind.
 *
 * `winsize`, `setRawMode` and `resizes` on a descriptor that is not a terminal
 * raise `TTYError` with `code` `'ENOTTY'`.
 */
export class TTYError extends StreamError {}
