/** A server's address cannot be had (`EADDRINUSE`, `EACCES`, …): `errno`/`code` are the OS's. */
export class BindError extends Error {
  readonly errno: number | undefined;
  readonly code: string | undefined;

  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'BindError';
    const system = cause as { errno?: unknown; code?: unknown };
    this.errno = typeof system.errno === 'number' ? system.errno : undefined;
    this.code = typeof system.code === 'string' ? system.code : undefined;
  }
}
