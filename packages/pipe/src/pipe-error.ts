import { StreamError } from '@evergreen/stream-core';

/**
 * The class of every error a pipe stream or server raises.
 *
 * A system failure (`ENOENT`, `ECONNREFUSED`, `EADDRINUSE`, `EACCES`, …)
 * carries `errno` (the `@evergreen/errno` number), `code` and the Node error
 * as `cause`. Errors of a kind are built by stream-core as a `PipeError` that
 * is also an instance of the kind: a read after `close()` rejects with an
 * error that is both a `PipeError` and a `StreamClosedError` (`err.name`
 * names the kind).
 */
export class PipeError extends StreamError {}
