/**
 * The control socket exists but this user may not connect to it (`code`
 * `'EACCES'` or `'EPERM'`): it belongs to another user's daemon. `cause`
 * is the connect error.
 */
export class DaemonAccessError extends Error {
  readonly code: 'EACCES' | 'EPERM';
  readonly errno?: number;
  readonly path: string;

  constructor(path: string, code: 'EACCES' | 'EPERM', options: { errno?: number; cause?: unknown } = {}) {
    super(`Cannot reach the daemon at "${path}": access denied; the socket belongs to another user (use your own with --socket or EVERGREEN_SOCKET)`, { cause: options.cause });
    this.name = 'DaemonAccessError';
    this.code = code;
    if (options.errno !== undefined) this.errno = options.errno;
    this.path = path;
  }
}
