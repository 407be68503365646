import { StreamConnection } from '@evergreen/stream-core';

/**
 * The two ends of a connection as `connections.list` shows them: `peer` is
 * the client's `address:port` (`[v6]:port`), absent where the transport has
 * no peer address (a pipe); `local` is where it was accepted: the socket's
 * own `address:port` (on a server bound to 0.0.0.0, the interface it came
 * in on), or a pipe's path. Either is absent when it cannot be read (the
 * peer already gone).
 */
export interface ConnectionEndpoints {
  readonly peer?: string;
  readonly local?: string;
}

/**
 * Where a connection record reads its endpoints: fixed ones (a datagram
 * session's), or an accepted stream, read each time they are asked for
 * (`connections.list`): an idle connection keeps neither the strings nor
 * the socket's cached local name.
 */
export type EndpointsSource = ConnectionEndpoints | StreamConnection;

/** The endpoints `source` gives now (a closed stream's: those still readable). Never throws. */
export function endpointsOf(source: EndpointsSource): ConnectionEndpoints {
  return source instanceof StreamConnection ? streamEndpoints(source) : source;
}

/** An address and port as `address:port`, an IPv6 address in brackets. Cost: one string. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The endpoints of an accepted stream connection: TCP's peername and sockname, a pipe's path. Never throws. */
export function streamEndpoints(conn: StreamConnection): ConnectionEndpoints {
  const named = conn as StreamConnection & { peername?: SocketName; sockname?: SocketName; server: { pipename?: string } | null };
  if (!('peername' in conn)) return optional({ local: read(() => named.server?.pipename) });
  return optional({ peer: read(() => format(named.peername)), local: read(() => format(named.sockname)) });
}

interface SocketName {
  readonly address?: unknown;
  readonly port?: unknown;
}

function format(name: SocketName | undefined): string | undefined {
  return typeof name?.address === 'string' && typeof name.port === 'number' ? hostPort(name.address, name.port) : undefined;
}

/** `read()`, or undefined when it throws (a closed connection's names cannot be read). */
function read(get: () => string | undefined): string | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

/** `endpoints` without its undefined keys: they would travel as nil. */
function optional(endpoints: { peer?: string | undefined; local?: string | undefined }): ConnectionEndpoints {
  return Object.fromEntries(Object.entries(endpoints).filter(([, value]) => value !== undefined));
}
