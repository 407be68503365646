/**
 * The command line is wrong (a flag value, a missing terminal, …): the CLI
 * prints the message and exits 2 without contacting the daemon further.
 */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
