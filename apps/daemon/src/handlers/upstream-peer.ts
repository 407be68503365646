import { lookup } from 'node:dns/promises';
import { SocketAddress as NetSocketAddress } from 'node:net';
import type { HostPort, SocketAddress } from '@evergreen/stream-core';

/**
 * Resolves `target` to the one address a socket of `family` sends to: an IP
 * literal is itself, a name is the first address `dns.lookup` gives for that
 * family (what the socket itself would pick for each send). The address comes
 * back in canonical text form (`::1`, not `0:0::1`), the form the OS reports
 * a datagram's sender in, so {@link isPeer} can compare the two.
 *
 * Rejects with the resolver's error (`ENOTFOUND`, …) for a name that does not
 * resolve.
 * Cost: nothing but a parse for a literal; one getaddrinfo for a name.
 */
export async function resolvePeer(target: HostPort, family: SocketAddress['family']): Promise<SocketAddress> {
  const resolved = await lookup(target.host, { family: family === 'IPv6' ? 6 : 4 });
  // A link-local address keeps its zone (`fe80::1%eth0`): the OS names the sender with it too.
  const [address, zone] = resolved.address.split('%', 2) as [string, string | undefined];
  const canonical = new NetSocketAddress({ address, family: resolved.family === 6 ? 'ipv6' : 'ipv4' });
  return { address: zone === undefined ? canonical.address : `${canonical.address}%${zone}`, port: target.port, family: resolved.family === 6 ? 'IPv6' : 'IPv4' };
}

/** Whether a datagram from `from` came from `peer` (as {@link resolvePeer} gave it): the same address and port. Never throws. */
export function isPeer(from: SocketAddress, peer: SocketAddress): boolean {
  return from.port === peer.port && from.address === peer.address;
}
