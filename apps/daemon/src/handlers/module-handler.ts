import { pathToFileURL } from 'node:url';
import type { StreamConnection } from '@evergreen/stream-core';
import type { ConnectionContext, StreamHandler } from './handler.js';
import { moduleCodeHash, moduleFile } from './module-code.js';

/** A module handler's function: it gets each connection and its context; the connection closes when its result settles. */
export type UserHandler = (conn: StreamConnection, context: ConnectionContext) => unknown;

/** A module handler cannot be loaded: the file is missing or fails to load, or the export is not a function. */
export class HandlerModuleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandlerModuleError';
  }
}

/**
 * Loads the user's handler: `path` (resolved against `baseDir`, the config
 * file's directory) is imported and `exportName` (default: the default
 * export) must be a function. The returned handler awaits whatever the
 * function returns, so a throw or a rejection costs only that connection.
 * Throws {@link HandlerModuleError} when the module cannot be loaded or the
 * export is not a function. The file is imported under its content's hash
 * (`file:///…/handler.mjs?v=HASH`): `import()` caches by URL, so the same
 * file is loaded once, and a changed one is loaded again as a new module —
 * the old one stays in memory until the process exits (modules cannot be
 * unloaded), and what the file itself imports is not loaded again.
 */
export async function moduleHandler(path: string, exportName: string | undefined, baseDir: string): Promise<StreamHandler> {
  const file = moduleFile(path, baseDir);
  const hash = await moduleCodeHash({ type: 'module', path: file }, baseDir);
  let module: Record<string, unknown>;
  try {
    module = (await import(`${pathToFileURL(file).href}${hash === undefined ? '' : `?v=${hash}`}`)) as Record<string, unknown>;
  } catch (error) {
    throw new HandlerModuleError(`Cannot load handler module "${file}": ${(error as Error).message}`, { cause: error });
  }
  const name = exportName ?? 'default';
  const handler = module[name];
  if (typeof handler !== 'function') {
    throw new HandlerModuleError(`Cannot use handler module "${file}": its export "${name}" is ${typeof handler}, expected a function (conn, context) => …`);
  }
  const user = handler as UserHandler;
  return async (conn, context) => {
    await user(conn, context);
  };
}
