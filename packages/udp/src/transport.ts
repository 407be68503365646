import type { Socket } from 'node:dgram';
import { formatHostPortURI, parseHostPortURI, type DatagramTransport, type HostPort } from '@evergreen/stream-core';
import { reusePortSupported } from './reuse-port.js';
import { toUDPAddress } from './udp-address.js';
import { UDPEndpoint, type UDPEndpointOptions } from './udp-endpoint.js';

const SCHEME = 'udp';

/** The UDP transport as the daemon uses it; `bind` also takes endpoint options. */
export interface UDPTransport extends DatagramTransport<HostPort> {
  bind(address: HostPort, options?: UDPEndpointOptions): Promise<UDPEndpoint>;
  attach(socket: Socket, options?: UDPEndpointOptions): UDPEndpoint;
}

/**
 * `udp://host:port` ↔ `{ host, port }`, IPv6 literals bracketed
 * (`udp://[::1]:5353`), by stream-core's `parseHostPortURI` /
 * `formatHostPortURI` (the same rules as `tcp://`). `parse` throws
 * `TypeError` naming what is wrong (a wrong scheme, a missing or malformed
 * port, a port out of 0..65535, an unbracketed IPv6 literal, a path other
 * than a lone `/`, a query); `format` throws like `toHostPort` for a
 * malformed address. `bind` resolves a bound {@link UDPEndpoint} with the
 * endpoint options given (the queue bounds and socket buffer sizes of
 * `DatagramBindOptions` among them) and rejects like `UDPEndpoint#bind`, or
 * with the constructor's `TypeError`/`RangeError` for a malformed option.
 * `attach` wraps a bound `dgram.Socket` the caller owns (`UDPEndpoint#attach`).
 * `reusePort` is {@link reusePortSupported}, read once when the module loads.
 */
export const transport: UDPTransport = {
  kind: 'datagram',
  scheme: SCHEME,
  reusePort: reusePortSupported(),
  parse: (uri) => parseHostPortURI(uri, SCHEME),
  format: (address) => formatHostPortURI(SCHEME, toUDPAddress(address)),
  async bind(address: HostPort, options?: UDPEndpointOptions): Promise<UDPEndpoint> {
    const endpoint = new UDPEndpoint(options);
    try {
      await endpoint.bind(address);
    } catch (err) {
      endpoint.close();
      throw err;
    }
    return endpoint;
  },
  attach(socket: Socket, options?: UDPEndpointOptions): UDPEndpoint {
    const endpoint = new UDPEndpoint(options);
    endpoint.attach(socket);
    return endpoint;
  },
};
