/**
 * Something accepted the connection at the control socket but did not
 * answer the `hello` greeting within `timeoutMs`: it is no evergreend (a
 * server that never writes), or the daemon is stuck. evergreenctl exits 3.
 */
export class DaemonUnresponsiveError extends Error {
  readonly path: string;
  readonly timeoutMs: number;

  constructor(path: string, timeoutMs: number) {
    super(`Cannot reach the daemon: nothing answered "hello" at "${path}" within ${timeoutMs / 1000} s; it is not an evergreend control socket, or the daemon is stuck`);
    this.name = 'DaemonUnresponsiveError';
    this.path = path;
    this.timeoutMs = timeoutMs;
  }
}
