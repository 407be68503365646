import type { ConnectionHandler, StreamTransport } from '@evergreen/stream-core';
import { PipeClient, type PipeClientOptions, type PipeConnectOptions } from './pipe-client.js';
import { PipeServer, type PipeServerOptions } from './pipe-server.js';
import type { PipeConnection } from './pipe-connection.js';
import { pipePathKind, shapeOf } from './pipe-path.js';

const PREFIX = /^pipe:\/\//i;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
/** Characters a pipe URI spells as `%XX`: `%` itself, what ends a URI path (`?`, `#`), NUL, controls, spaces. */
const ESCAPED = /[%?#\x00-\x20\x7f]/g;

/** The pipe transport as the daemon sees it, with the pipe package's own types. */
export interface PipeTransport extends StreamTransport<string> {
  readonly kind: 'stream';
  readonly scheme: 'pipe';
  /** An unbound `PipeServer`. */
  createServer(handler: ConnectionHandler<PipeConnection>, options?: PipeServerOptions): PipeServer;
  /** A connected `PipeClient`; `options` also takes the client's limits. */
  connect(path: string, options?: PipeConnectOptions & PipeClientOptions): Promise<PipeClient>;
}

/**
 * The pipe transport plugin: the daemon finds it by the `pipe` scheme.
 *
 * URIs are `pipe://` followed by the path, percent-decoded:
 * `pipe:///run/app.sock` → `/run/app.sock`; a Linux abstract name writes
 * its NUL as `%00` (`pipe://%00app` → `'\0app'`); a Windows pipe name is
 * written as it is (`pipe://\\.\pipe\app`). `format` escapes `%`, `?`, `#`,
 * NUL, controls and spaces, so `parse(format(path)) === path`.
 *
 * `parse` throws `TypeError` naming the problem: another scheme, no path, a
 * relative path or a host (`pipe://host/x`), a query or fragment, bad
 * percent-encoding, a NUL inside a path. `format` throws `TypeError` for a
 * malformed or relative path. `connect` rejects as `PipeClient#connect` does
 * (the client is closed then).
 */
export const transport: PipeTransport = {
  kind: 'stream',
  scheme: 'pipe',
  parse,
  format,
  createServer: (handler, options) => new PipeServer(handler, options),
  async connect(path, options = {}) {
    const client = new PipeClient(options);
    await client.connect(path, { signal: options.signal });
    return client;
  },
};

function parse(uri: string): string {
  if (typeof uri !== 'string') throw new TypeError(`Cannot parse ${String(uri)}: expected a string like "pipe:///run/app.sock"`);
  const problem = (text: string): TypeError => new TypeError(`Cannot parse "${uri}": ${text}`);
  if (!PREFIX.test(uri)) {
    const scheme = SCHEME.exec(uri)?.[1];
    throw problem(scheme === undefined ? 'expected a URI like "pipe:///run/app.sock"' : `the scheme is "${scheme}", expected "pipe" ("pipe:///run/app.sock")`);
  }
  const rest = uri.replace(PREFIX, '');
  if (rest === '') throw problem('it has no path');
  if (/[?#]/.test(rest)) throw problem('a query or fragment is not allowed (a path spells "?" as %3F and "#" as %23)');
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch (error) {
    throw new TypeError(`Cannot parse "${uri}": malformed percent-encoding`, { cause: error });
  }
  const shape = shapeOf(path);
  if (typeof shape !== 'string') throw problem(shape.problem);
  if (shape === 'unix' && !path.startsWith('/')) {
    throw problem('expected an absolute path ("pipe:///run/app.sock"), an abstract name ("pipe://%00name") or a Windows pipe name; a host is not allowed');
  }
  return path;
}

function format(path: string): string {
  const kind = pipePathKind(path, 'Cannot format pipe');
  if (kind === 'unix' && !path.startsWith('/')) throw new TypeError(`Cannot format pipe "${path}": a URI holds an absolute path`);
  return `pipe://${path.replace(ESCAPED, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}`;
}
