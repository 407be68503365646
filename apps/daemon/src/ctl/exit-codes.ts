/**
 * evergreenctl's exit codes, as documented in docs/cli.md: scripts may rely
 * on them. A `top` or `connect` ended by SIGINT or SIGTERM exits 128 + the
 * signal's number, as a shell reports it.
 */
export const ExitCode = Object.freeze({
  /** Done. */
  OK: 0,
  /** The daemon said no (its error is printed), a `connect` connection failed, or the daemon dropped a `logs -f` that read too slowly. */
  REFUSED: 1,
  /** Bad usage: an unknown command or flag, a bad flag value, no terminal for `top`. */
  USAGE: 2,
  /** No daemon answers at the socket, access to it is denied, or it went away. */
  NO_DAEMON: 3,
} as const);
