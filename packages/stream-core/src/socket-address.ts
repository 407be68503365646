import { isIP, isIPv6 } from 'node:net';

/** An address as `sockname`/`peername`/`receive()` report it. */
export interface SocketAddress {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

/** A TCP/UDP address in any of the shapes callers may pass. */
export type AddressInput =
  | { host: string; port: number }
  | { address: string; port: number }
  | readonly [host: string, port: number];

/** The one shape the transports work with: `host` may be a name or an IP literal. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Normalises `{ host, port }`, `[host, port]` or `{ address, port }` to
 * `{ host, port }`. IPv6 literals may come bracketed (`[::1]`); the brackets
 * are dropped. Throws `TypeError` for a wrong shape and `RangeError` for a
 * port outside 0..65535.
 */
export function toHostPort(input: AddressInput): HostPort {
  let host: unknown;
  let port: unknown;
  if (Array.isArray(input)) {
    [host, port] = input;
  } else if (typeof input === 'object' && input !== null) {
    const shape = input as { host?: unknown; address?: unknown; port?: unknown };
    host = shape.host ?? shape.address;
    port = shape.port;
  }
  if (typeof host !== 'string' || typeof port !== 'number') {
    throw new TypeError(`Cannot use address ${safeString(input)}: expected { host, port }, [host, port] or { address, port }`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Cannot use port ${port}: a port is an integer in 0..65535`);
  }
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return { host: unbracketed, port };
}

/**
 * The `SocketAddress` of what `net.Socket#address()`, `remoteAddress`… or
 * `dgram.Socket#address()` report. Throws `TypeError` when the handle has no
 * address (not bound, or closed).
 */
export function toSocketAddress(info: { address?: string; port?: number; family?: string | number } | object): SocketAddress {
  const { address, port, family } = info as { address?: string; port?: number; family?: string | number };
  if (typeof address !== 'string' || typeof port !== 'number') {
    throw new TypeError('Cannot read the socket address: the socket is not bound or already closed');
  }
  const v6 = family === 'IPv6' || family === 6 || (family === undefined && isIP(address) === 6);
  return { address, port, family: v6 ? 'IPv6' : 'IPv4' };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `host:port`, with an IPv6 literal in brackets (`[::1]:7000`), as in URIs and messages. */
export function formatHostPort({ host, port }: HostPort): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}
