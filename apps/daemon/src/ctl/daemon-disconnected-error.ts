/**
 * The control connection is gone: the daemon closed it (shutting down, or
 * after an `error` notification, which `reason` then holds), it was lost,
 * or the client was closed. Calls pending at that moment reject with it,
 * and so does any later call.
 */
export class DaemonDisconnectedError extends Error {
  /** The daemon's last `error` notification before it closed, if any: `{ code, message }`. */
  readonly reason?: { readonly code: number; readonly message: string };

  constructor(message: string, options: { cause?: unknown; reason?: { code: number; message: string } } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DaemonDisconnectedError';
    if (options.reason !== undefined) this.reason = options.reason;
  }
}
