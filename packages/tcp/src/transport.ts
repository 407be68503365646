import {
  formatHostPort,
  toHostPort,
  type AddressInput,
  type ConnectionHandler,
  type HostPort,
  type StreamTransport,
} from '@evergreen/stream-core';
import { TCPClient, type TCPClientOptions, type TCPConnectOptions } from './tcp-client.js';
import { TCPServer, type TCPServerOptions } from './tcp-server.js';
import type { TCPConnection } from './tcp-connection.js';

/** The highest TCP port. */
const MAX_PORT = 65535;

/** The TCP transport as the daemon sees it, with TCP's own types. */
export interface TCPTransport extends StreamTransport<HostPort> {
  readonly kind: 'stream';
  readonly scheme: 'tcp';
  /** `{ host, port }` → `tcp://host:port` (an IPv6 literal in brackets); accepts every address shape. */
  format(address: AddressInput): string;
  /** An unbound `TCPServer`. */
  createServer(handler: ConnectionHandler<TCPConnection>, options?: TCPServerOptions): TCPServer;
  /** A connected `TCPClient`; `options` also takes the client's limits and socket options. */
  connect(address: AddressInput, options?: TCPConnectOptions & TCPClientOptions): Promise<TCPClient>;
}

/**
 * The TCP transport plugin: the daemon finds it by the `tcp` scheme.
 *
 * `parse('tcp://127.0.0.1:7000')` → `{ host: '127.0.0.1', port: 7000 }`,
 * `parse('tcp://[::1]:7000')` → `{ host: '::1', port: 7000 }`; the host may
 * be a name. It throws `TypeError` naming the problem: another scheme, no
 * host, no port, a port outside 0..65535, credentials, a path (a lone `/` is
 * allowed), a query or a fragment. `connect` rejects as `TCPClient#connect`
 * does (the client is closed then).
 */
export const transport: TCPTransport = {
  kind: 'stream',
  scheme: 'tcp',
  parse,
  format: (address) => `tcp://${formatHostPort(toHostPort(address))}`,
  createServer: (handler, options) => new TCPServer(handler, options),
  async connect(address, options = {}) {
    const client = new TCPClient(options);
    await client.connect(address, undefined, { signal: options.signal });
    return client;
  },
};

function parse(uri: string): HostPort {
  if (typeof uri !== 'string') throw new TypeError(`Cannot parse ${String(uri)}: expected a string like "tcp://127.0.0.1:7000"`);
  const url = parseURL(uri);
  const problem = problemOf(url);
  if (problem !== undefined) throw new TypeError(`Cannot parse "${uri}": ${problem}`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: Number(url.port) };
}

/** WHATWG URL parsing; its failures are explained where they can be (a port out of range). */
function parseURL(uri: string): URL {
  try {
    return new URL(uri);
  } catch (error) {
    const port = /:(\d+)\/?$/.exec(uri)?.[1];
    const outOfRange = port !== undefined && Number(port) > MAX_PORT;
    const problem = outOfRange ? `the port ${port} is out of range 0..${MAX_PORT}` : 'not a valid URI (expected "tcp://host:port")';
    throw new TypeError(`Cannot parse "${uri}": ${problem}`, { cause: error });
  }
}

/** What makes a parsed URL unusable as a TCP address, if anything. */
function problemOf(url: URL): string | undefined {
  if (url.protocol !== 'tcp:') return `the scheme is "${url.protocol.slice(0, -1)}", expected "tcp"`;
  if (url.hostname === '') return 'it has no host';
  if (url.port === '') return 'it has no port';
  if (url.username !== '' || url.password !== '') return 'credentials are not allowed';
  if (url.pathname !== '' && url.pathname !== '/') return `a path ("${url.pathname}") is not allowed`;
  if (url.search !== '') return `a query ("${url.search}") is not allowed`;
  if (url.hash !== '') return `a fragment ("${url.hash}") is not allowed`;
  return undefined;
}
