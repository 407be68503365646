import { StreamError } from '@evergreen/stream-core';

/**
 * The class of every error a TCP stream or server raises.
 *
 * A system failure (`ECONNREFUSED`, `ECONNRESET`, `EADDRINUSE`, …) carries
 * `errno` (the `@evergreen/errno` number), `code` and the Node error as
 * `cause`. Errors of a kind are built by stream-core as a `TCPError` that is
 * also an instance of the kind: a read after `close()` rejects with an error
 * that is both a `TCPError` and a `StreamClosedError` (`err.name` names the
 * kind).
 */
export class TCPError extends StreamError {}
