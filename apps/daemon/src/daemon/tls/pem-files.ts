import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DaemonError } from '../daemon-error.js';

/** The PEM files of a `tls` block, read, with the digest of what was read. */
export interface PemFiles<K extends string> {
  /** Each file's bytes, by its key in the block. */
  readonly contents: Readonly<Record<K, Buffer>>;
  /** SHA-256 (hex) over every file's path and bytes: equal digests, same credentials. */
  readonly hash: string;
  /** Files that are readable by group or others and hold a private key. */
  readonly exposedKeys: readonly string[];
}

/**
 * Reads the files a `tls` block names (`{ cert: 'certs/api.crt', … }`),
 * relative paths against `baseDir` (the config file's directory). `keys`
 * lists the entries holding private keys: those readable by group or others
 * are returned in `exposedKeys`, for the caller to warn about.
 *
 * Rejects with `DaemonError` `invalid` naming the block's entry
 * (`{ path: 'tls.key', value, expected }`) when a file cannot be read;
 * `action` starts its message (`Cannot add server "api"`).
 * Cost: one read and one stat per file.
 */
export async function readPemFiles<K extends string>(
  block: Partial<Record<K, string>>,
  baseDir: string,
  at: string,
  action: string,
  keys: readonly K[] = [],
): Promise<PemFiles<K>> {
  const contents = {} as Record<K, Buffer>;
  const exposedKeys: string[] = [];
  const hash = createHash('sha256');
  for (const [name, path] of Object.entries(block) as [K, string | undefined][]) {
    if (path === undefined) continue;
    const file = resolve(baseDir, path);
    try {
      contents[name] = await readFile(file);
      if (keys.includes(name) && ((await stat(file)).mode & 0o077) !== 0) exposedKeys.push(file);
    } catch (error) {
      const why = (error as Error).message;
      throw new DaemonError('invalid', `${action}: ${at}.${name} "${path}" cannot be read: ${why}`, { path: `${at}.${name}`, value: path, expected: 'a readable PEM file' }, { cause: error });
    }
    hash.update(`${name}\0${file}\0`).update(contents[name]).update('\0');
  }
  return { contents, hash: hash.digest('hex'), exposedKeys };
}
