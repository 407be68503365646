/** The platforms where libuv binds with `SO_REUSEPORT` balancing (Linux 3.9+, FreeBSD 12+, Solaris 11.4, AIX 7.2.5+); elsewhere it refuses. */
const REUSE_PORT_PLATFORMS: ReadonlySet<string> = new Set(['linux', 'freebsd', 'sunos', 'aix']);

/**
 * Whether a `UDPEndpoint` can bind with `reusePort` on `nodeVersion` (default:
 * the running Node) and `platform`: Node's dgram takes the option from 22.12
 * on the 22 line and from 23.1 (Node 20 ignores it: a second bind of the
 * port fails with `EADDRINUSE`), and the kernel must balance
 * `SO_REUSEPORT` sockets (the platforms above). Pure: no socket is made.
 * Throws `TypeError` for a version that is not `major.minor.patch`.
 */
export function reusePortSupported(nodeVersion: string = process.versions.node, platform: string = process.platform): boolean {
  const match = /^v?(\d+)\.(\d+)\.\d+/.exec(nodeVersion);
  if (match === null) throw new TypeError(`Cannot read Node version "${nodeVersion}": expected major.minor.patch`);
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const runtime = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  return runtime && REUSE_PORT_PLATFORMS.has(platform);
}
