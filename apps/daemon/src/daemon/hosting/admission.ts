import { BlockList, isIPv4 } from 'node:net';
import { parseCidr, type Cidr } from '../../protocol/cidr.js';
import type { RefusalReason } from '../../protocol/results.js';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_PER_SOURCE, type ServerLimits } from '../../protocol/server-spec.js';

/** Every refusal reason, in the order listings show them. */
export const REFUSAL_REASONS: readonly RefusalReason[] = ['denied', 'maxConnections', 'maxPerSource', 'paused', 'resources'];

/** The source of connections that have no address (pipes): never denied, never limited per source. */
export const LOCAL_SOURCE = 'local';

/**
 * Decides whether a new connection from `source` may be served, from the
 * server's `allow`/`deny` lists (`net.BlockList`, checked in C++) and its
 * connection limits. Counting is the caller's: `admit` only reads the
 * counts it is given. An IPv4-mapped IPv6 source (`::ffff:10.0.0.1`) is
 * checked as the IPv4 address it is.
 */
export class Admission {
  readonly #allow: BlockList | undefined;
  readonly #deny: BlockList | undefined;
  readonly maxConnections: number;
  readonly maxPerSource: number;

  constructor(limits: Pick<ServerLimits, 'allow' | 'deny' | 'maxConnections' | 'maxPerSource'>) {
    this.#allow = limits.allow === undefined ? undefined : blockList(limits.allow);
    this.#deny = limits.deny === undefined || limits.deny.length === 0 ? undefined : blockList(limits.deny);
    this.maxConnections = limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxPerSource = limits.maxPerSource ?? DEFAULT_MAX_PER_SOURCE;
  }

  /** The reason to refuse, or undefined to serve. */
  admit(source: string, active: number, fromSource: number): RefusalReason | undefined {
    if (source !== LOCAL_SOURCE && !this.#allowed(source)) return 'denied';
    if (active >= this.maxConnections) return 'maxConnections';
    if (source !== LOCAL_SOURCE && fromSource >= this.maxPerSource) return 'maxPerSource';
    return undefined;
  }

  #allowed(source: string): boolean {
    const [address, family] = normalize(source);
    if (this.#deny?.check(address, family) === true) return false;
    return this.#allow === undefined || this.#allow.check(address, family);
  }
}

function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry) as Cidr; // validated by the schema
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

function normalize(source: string): [string, 'ipv4' | 'ipv6'] {
  const mapped = source.toLowerCase().startsWith('::ffff:') ? source.slice(7) : undefined;
  if (mapped !== undefined && isIPv4(mapped)) return [mapped, 'ipv4'];
  return [source, isIPv4(source) ? 'ipv4' : 'ipv6'];
}
