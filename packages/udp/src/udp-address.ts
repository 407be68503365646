import { isIP } from 'node:net';
import { lookup as lookupCallback, type LookupOneOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { toHostPort, type AddressInput, type HostPort } from '@evergreen/stream-core';

/** Where a host resolved to, and so which kind of socket reaches it. */
export interface ResolvedHost {
  address: string;
  family: 4 | 6;
}

/**
 * `toHostPort` (any of the accepted shapes, brackets dropped) plus the one
 * rule UDP adds: the host is not empty (Node would silently read `''` as
 * localhost for a send and as the wildcard for a bind). Throws `TypeError` for
 * a wrong shape or an empty host, `RangeError` for a port outside 0..65535.
 */
export function toUDPAddress(input: AddressInput): HostPort {
  const address = toHostPort(input);
  if (address.host === '') throw new TypeError('Cannot use address with an empty host: name a host or an IP address');
  return address;
}

/**
 * Resolves `host` to one address: an IP literal is itself, a name is the first
 * address `dns.lookup` gives (the system resolver's order: /etc/hosts,
 * nsswitch, `verbatim` on Node >= 17). That first address decides whether an
 * endpoint is IPv4 or IPv6. Rejects with the resolver's error (`ENOTFOUND`, …).
 *
 * Cost: nothing for a literal; one getaddrinfo on the libuv thread pool for a name.
 */
export async function resolveHost(host: string): Promise<ResolvedHost> {
  const literal = isIP(host);
  if (literal !== 0) return { address: host, family: literal === 6 ? 6 : 4 };
  const { address, family } = await lookup(host);
  return { address, family: family === 6 ? 6 : 4 };
}

/** The resolver signature `dgram.createSocket({ lookup })` calls (Node passes the socket's family as a number). */
type DgramLookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The `lookup` a UDP socket resolves destinations with: an IP literal answers
 * at once (synchronously), a name goes to `dns.lookup` for the socket's family.
 *
 * Why: Node's default resolver answers even a literal on the next tick, so
 * every `send()` would wait a tick before its `sendmsg`; answering at once lets
 * the datagram leave inside the `send()` call — one tick and one callback less
 * per datagram.
 */
export function lookupLiteralAtOnce(host: string, family: number | LookupOneOptions, callback: DgramLookupCallback): void {
  const literal = isIP(host);
  if (literal !== 0) callback(null, host, literal);
  else lookupCallback(host, typeof family === 'number' ? { family } : family, callback);
}
