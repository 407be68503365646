import {
  formatHostPortURI,
  parseHostPortURI,
  toHostPort,
  type AddressInput,
  type ConnectionHandler,
  type HostPort,
  type StreamTransport,
} from '@evergreen/stream-core';
import { TCPClient, type TCPClientOptions, type TCPConnectOptions } from './tcp-client.js';
import { TCPServer, type TCPServerOptions } from './tcp-server.js';
import type { TCPConnection } from './tcp-connection.js';
import type { TCPSocketOptions } from './socket-options.js';

/** The TCP transport as the daemon sees it, with TCP's own types; its own options are the socket options. */
export interface TCPTransport extends StreamTransport<HostPort, TCPSocketOptions, TCPSocketOptions> {
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
 * be a name. Parsing and formatting are stream-core's `parseHostPortURI` /
 * `formatHostPortURI` (the same rules as `udp://`): `parse` throws
 * `TypeError` naming the problem (another scheme, no host, no port, a port
 * outside 0..65535, credentials, a path — a lone `/` is allowed —, a query,
 * a fragment, an unbracketed IPv6 literal); `format` throws `TypeError` or
 * `RangeError` for an address no URI can hold. `connect` rejects as
 * `TCPClient#connect` does (the client is closed then).
 */
export const transport: TCPTransport = {
  kind: 'stream',
  scheme: 'tcp',
  parse: (uri) => parseHostPortURI(uri, 'tcp'),
  format: (address) => formatHostPortURI('tcp', toHostPort(address)),
  createServer: (handler, options) => new TCPServer(handler, options),
  async connect(address, options = {}) {
    const client = new TCPClient(options);
    await client.connect(address, undefined, { signal: options.signal });
    return client;
  },
};
