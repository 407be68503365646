import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIPv4, SocketAddress as NetSocketAddress } from 'node:net';
import type { SocketAddress } from '@evergreen/stream-core';

/** One UDP socket's line of /proc/net/udp: its inode (which names it) and its drops. */
export interface UdpSocketLine {
  inode: string;
  drops: number;
}

/**
 * How many datagrams the kernel has dropped for the UDP socket bound to
 * `address` since it was made: its receive buffer was full (or a checksum
 * or a socket filter failed), the `drops` column of Linux's /proc/net/udp
 * (udp6 for IPv6). Node reports none of these. Undefined where there is no
 * such file (macOS, the BSDs) or no socket is bound there. The line is found
 * by local address and port — and by `inode` when given: sockets bound with
 * SO_REUSEPORT (workers sharing a port) share the address, and each process
 * must read its own ({@link ownUdpSocketInode}).
 * Cost: one read of the file, a line per UDP socket of the host.
 */
export function kernelUdpDrops(address: SocketAddress, inode?: string): number | undefined {
  return udpSocketLines(address)?.find((line) => inode === undefined || line.inode === inode)?.drops;
}

/**
 * The inode of this process's UDP socket bound to `address`: of the sockets
 * /proc/net/udp lists there, the one among this process's descriptors
 * (/proc/self/fd). Undefined without /proc, or when this process holds none.
 * Cost: one readlink per open descriptor — once per bind, not per sweep.
 */
export function ownUdpSocketInode(address: SocketAddress): string | undefined {
  const lines = udpSocketLines(address);
  if (lines === undefined || lines.length === 0) return undefined;
  const own = new Set<string>();
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkOrEmpty(`/proc/self/fd/${fd}`));
      if (match !== null) own.add(match[1]!);
    }
  } catch {
    return undefined;
  }
  return lines.find((line) => own.has(line.inode))?.inode;
}

/** The lines of the UDP sockets bound to `address` (several with SO_REUSEPORT); undefined where there is no /proc/net/udp. */
export function udpSocketLines(address: SocketAddress): UdpSocketLine[] | undefined {
  const v4 = isIPv4(address.address);
  let table: string;
  try {
    table = readFileSync(v4 ? '/proc/net/udp' : '/proc/net/udp6', 'utf8');
  } catch {
    return undefined;
  }
  const local = `${v4 ? hexIPv4(address.address) : hexIPv6(address.address)}:${address.port.toString(16).toUpperCase().padStart(4, '0')}`;
  const lines: UdpSocketLine[] = [];
  for (const line of table.split('\n')) {
    // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields.length >= 13) lines.push({ inode: fields[9]!, drops: Number(fields[12]) });
  }
  return lines;
}

/** A descriptor's link (`socket:[inode]`, a path…), or '' for one closed meanwhile. */
function readlinkOrEmpty(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** An IPv4 address as the kernel prints it: the 32-bit word in host (little-endian) order, in hex. */
function hexIPv4(address: string): string {
  return address.split('.').reverse().map((byte) => Number(byte).toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** An IPv6 address as the kernel prints it: four 32-bit words, each in host (little-endian) order, in hex. */
function hexIPv6(address: string): string {
  const canonical = new NetSocketAddress({ address: address.split('%')[0]!, family: 'ipv6' }).address;
  const groups = expandIPv6(canonical);
  let hex = '';
  for (let word = 0; word < 4; word++) {
    const bytes = [groups[word * 2]! >> 8, groups[word * 2]! & 0xff, groups[word * 2 + 1]! >> 8, groups[word * 2 + 1]! & 0xff];
    hex += bytes.reverse().map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join('');
  }
  return hex;
}

/** The eight 16-bit groups of a canonical IPv6 address (`::` expanded, an embedded IPv4 tail split in two). */
function expandIPv6(address: string): number[] {
  const [head, tail = ''] = address.split('::') as [string, string?];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ipv4Groups(group) : [Number.parseInt(group, 16)])));
  const front = parse(head);
  const back = address.includes('::') ? parse(tail) : [];
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function ipv4Groups(dotted: string): number[] {
  const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
  return [(a << 8) | b, (c << 8) | d];
}
