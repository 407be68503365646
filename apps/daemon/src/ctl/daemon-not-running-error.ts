/**
 * No daemon answers at the control socket: there is no socket file
 * (`code` `'ENOENT'`) or nobody listens on it (`'ECONNREFUSED'`, a stale
 * file). The message says how to start one — or, when a live process holds
 * the socket's lock (`startingPid`), that this daemon is starting (it takes
 * the lock first and binds the socket last). `cause` is the connect error.
 */
export class DaemonNotRunningError extends Error {
  readonly code: 'ENOENT' | 'ECONNREFUSED';
  readonly errno?: number;
  readonly path: string;
  /** The pid of the daemon that holds the socket's lock and is not listening yet, if one does. */
  readonly startingPid?: number;

  constructor(path: string, code: 'ENOENT' | 'ECONNREFUSED', options: { errno?: number; cause?: unknown; startingPid?: number } = {}) {
    super(options.startingPid === undefined ? `Cannot reach the daemon: no daemon answers at "${path}"; start one with \`npx evergreend\`` : startingMessage(path, options.startingPid), { cause: options.cause });
    this.name = 'DaemonNotRunningError';
    this.code = code;
    if (options.errno !== undefined) this.errno = options.errno;
    if (options.startingPid !== undefined) this.startingPid = options.startingPid;
    this.path = path;
  }
}

function startingMessage(path: string, pid: number): string {
  return `Cannot reach the daemon: evergreend (pid ${pid}) is starting: it holds "${path}.lock" and does not answer at "${path}" yet; try again in a moment`;
}
