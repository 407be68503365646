import { isIP } from 'node:net';
import { formatHostPort, type DatagramTransport, type HostPort } from '@evergreen/stream-core';
import { toUDPAddress } from './udp-address.js';
import { UDPEndpoint, type UDPEndpointOptions } from './udp-endpoint.js';

const SCHEME = 'udp';
const PREFIX = `${SCHEME}://`;
const MAX_PORT = 65535;
/** `host` or `[v6]`, then an optional `:port`, and nothing else (no user, path, query or fragment). */
const AUTHORITY = /^(\[[^\]]*\]|[^[\]:/?#@\s]+)(?::([^/?#]*))?$/;

/** The UDP transport as the daemon uses it; `bind` also takes endpoint options. */
export interface UDPTransport extends DatagramTransport<HostPort> {
  bind(address: HostPort, options?: UDPEndpointOptions): Promise<UDPEndpoint>;
}

/**
 * `udp://host:port` ↔ `{ host, port }`, IPv6 literals bracketed
 * (`udp://[::1]:5353`). `parse` throws `TypeError` naming what is wrong (a
 * wrong scheme, a missing or malformed port, a port out of 0..65535, an
 * unbracketed IPv6 literal, a path or query); `format` throws like
 * `toHostPort` for a malformed address. `bind` resolves a bound
 * {@link UDPEndpoint} and rejects like `UDPEndpoint#bind`.
 */
export const transport: UDPTransport = {
  kind: 'datagram',
  scheme: SCHEME,
  parse: parseUDPURI,
  format(address: HostPort): string {
    const { host, port } = toUDPAddress(address);
    return `${PREFIX}${formatHostPort({ host, port })}`;
  },
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
};

function parseUDPURI(uri: string): HostPort {
  if (typeof uri !== 'string') throw new TypeError(`Cannot parse URI ${String(uri)}: expected a string`);
  const fail = (why: string): never => {
    throw new TypeError(`Cannot parse URI "${uri}": ${why}`);
  };
  if (uri.slice(0, PREFIX.length).toLowerCase() !== PREFIX) fail(`expected the ${PREFIX} scheme`);
  const authority = uri.slice(PREFIX.length);
  const match = AUTHORITY.exec(authority);
  if (match === null) {
    if (!authority.startsWith('[') && authority.indexOf(':') !== authority.lastIndexOf(':')) {
      fail('an IPv6 host must be bracketed, as in udp://[::1]:5353');
    }
    return fail('expected udp://host:port with nothing after the port');
  }
  const [, rawHost, rawPort] = match;
  let host = rawHost;
  if (rawHost.startsWith('[')) {
    host = rawHost.slice(1, -1);
    if (isIP(host) !== 6) fail(`"${host}" in brackets is not an IPv6 address`);
  }
  if (rawPort === undefined || rawPort === '') fail('the port is missing');
  if (!/^\d+$/.test(rawPort)) fail(`the port "${rawPort}" is not a number`);
  const port = Number(rawPort);
  if (port > MAX_PORT) fail(`the port ${rawPort} is out of range 0..${MAX_PORT}`);
  return { host, port };
}
