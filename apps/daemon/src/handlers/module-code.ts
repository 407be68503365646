import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { HandlerSpec } from '../protocol/server-spec.js';

/** The file a module handler's `path` names: resolved against `baseDir` (the config file's directory) unless absolute. */
export function moduleFile(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * The hash of a module handler's file as it is on disk now (sha256, 16 hex
 * digits), or undefined for a handler that is not a module or a file that
 * cannot be read (its load then fails with its own error). A reload that
 * finds it changed loads the handler again. Cost: one read of the file.
 */
export async function moduleCodeHash(handler: HandlerSpec, baseDir: string): Promise<string | undefined> {
  if (handler.type !== 'module') return undefined;
  try {
    return createHash('sha256').update(await readFile(moduleFile(handler.path, baseDir))).digest('hex').slice(0, 16);
  } catch {
    return undefined;
  }
}
