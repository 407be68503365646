/** The kinds of "no" the daemon says to a request; the control pipe maps each to its error number. */
export type DaemonErrorKind = 'not-found' | 'already-exists' | 'busy' | 'invalid' | 'unavailable' | 'refused';

/**
 * A request the daemon refused: the server or connection does not exist, the
 * name is taken, the server is draining, the request does not make sense
 * (`data` says where: `{ path, value, expected }`), or what it needs cannot
 * be had (a transport package, a handler module), or it would break one of
 * the daemon's own limits (`refused`: more than `MAX_SERVERS` servers).
 */
export class DaemonError extends Error {
  readonly kind: DaemonErrorKind;
  readonly data: Record<string, unknown> | undefined;

  constructor(kind: DaemonErrorKind, message: string, data?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DaemonError';
    this.kind = kind;
    this.data = data;
  }
}
