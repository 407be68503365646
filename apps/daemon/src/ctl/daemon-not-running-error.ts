/**
 * No daemon answers at the control socket: there is no socket file
 * (`code` `'ENOENT'`) or nobody listens on it (`'ECONNREFUSED'`, a stale
 * file). The message says how to start one. `cause` is the connect error.
 */
export class DaemonNotRunningError extends Error {
  readonly code: 'ENOENT' | 'ECONNREFUSED';
  readonly errno?: number;
  readonly path: string;

  constructor(path: string, code: 'ENOENT' | 'ECONNREFUSED', options: { errno?: number; cause?: unknown } = {}) {
    super(`Cannot reach the daemon: no daemon answers at "${path}"; start one with \`npx evergreend\``, { cause: options.cause });
    this.name = 'DaemonNotRunningError';
    this.code = code;
    if (options.errno !== undefined) this.errno = options.errno;
    this.path = path;
  }
}
