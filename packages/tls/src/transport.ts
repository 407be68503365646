import {
  formatHostPortURI,
  parseHostPortURI,
  toHostPort,
  type AddressInput,
  type ConnectionHandler,
  type HostPort,
  type StreamServerOptions,
  type StreamTransport,
} from '@evergreen/stream-core';
import { TLSClient, type TLSClientOptions, type TLSClientSecurity, type TLSConnectOptions } from './tls-client.js';
import { TLSServer, type TLSServerOptions, type TLSServerSecurity } from './tls-server.js';
import type { TLSConnection } from './tls-connection.js';

/**
 * A server's TLS settings as the transport takes them: `key` and `cert` are
 * required all the same (a `TypeError` without them), but optional in the
 * type, so that the TLS transport is a `StreamTransport` a daemon can hold
 * next to tcp and pipe, which need no options.
 */
export type TLSTransportServerOptions = Partial<TLSServerSecurity>;

/** The TLS transport as the daemon sees it: TLS's own types, its security settings as the transport options. */
export interface TLSTransport extends StreamTransport<HostPort, TLSTransportServerOptions, TLSClientSecurity> {
  readonly kind: 'stream';
  readonly scheme: 'tls';
  /** `{ host, port }` → `tls://host:port` (an IPv6 literal in brackets); accepts every address shape. */
  format(address: AddressInput): string;
  /** An unbound `TLSServer`; `options` must hold at least `key` and `cert`. */
  createServer(handler: ConnectionHandler<TLSConnection>, options?: StreamServerOptions<TLSConnection> & TLSTransportServerOptions): TLSServer;
  /** A connected, verified `TLSClient`; `options` also takes the client's limits and TLS settings. */
  connect(address: AddressInput, options?: TLSConnectOptions & TLSClientOptions): Promise<TLSClient>;
}

/**
 * The TLS transport plugin: the daemon finds it by the `tls` scheme.
 *
 * Addresses are TCP's: `tls://127.0.0.1:8443`, `tls://[::1]:8443`,
 * `tls://example.com:443`, parsed and formatted by stream-core's
 * `parseHostPortURI`/`formatHostPortURI` (same rules and errors as `tcp://`).
 * Certificates are not URI material: they are the transport options
 * (`TLSServerSecurity`, `TLSClientSecurity`). `createServer` throws as the
 * `TLSServer` constructor does (a `TypeError` without `key` and `cert`);
 * `connect` rejects as `TLSClient#connect` does (the client is closed then).
 */
export const transport: TLSTransport = {
  kind: 'stream',
  scheme: 'tls',
  parse: (uri) => parseHostPortURI(uri, 'tls'),
  format: (address) => formatHostPortURI('tls', toHostPort(address)),
  createServer: (handler, options = {}) => new TLSServer(handler, options as TLSServerOptions),
  async connect(address, options = {}) {
    const client = new TLSClient(options);
    await client.connect(address, undefined, { signal: options.signal });
    return client;
  },
};
