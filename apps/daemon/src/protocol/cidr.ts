import { isIP } from 'node:net';

/** An address block: `10.0.0.0/8`, `::1/128`, or one address (`127.0.0.1`, a /32 or /128). */
export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Parses `address[/prefix]`; the prefix defaults to the whole address (32 or
 * 128 bits). Returns a sentence saying what is wrong instead of throwing, so
 * a schema can report it with the path of the bad entry.
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return `"${address}" is not an IPv4 or IPv6 address`;
  const bits = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: bits, family: version === 4 ? 'ipv4' : 'ipv6' };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) return `the prefix "/${prefixText}" is not a whole number from 0 to ${bits}`;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}
