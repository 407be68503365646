/**
 * The logger the control server reports to: pino's `(object, message)`
 * calls, so a pino logger fits as is. `warn` is for things an operator
 * should see (a client misbehaved, a handler failed), `debug` for the rest.
 */
export interface ControlLog {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

/** A logger that drops everything. */
export const silentLog: ControlLog = Object.freeze({ warn() {}, debug() {} });
