import { isIPv6 } from 'node:net';
import { formatHostPort, type HostPort } from './socket-address.js';

/** The highest TCP/UDP port. */
const MAX_PORT = 65535;
/** RFC 3986 scheme: a letter, then letters, digits, `+`, `-`, `.`. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** An unbracketed host: a DNS name or an IPv4 literal (RFC 3986 unreserved characters but `~`). */
const NAME = /^[A-Za-z0-9._-]+$/;

/**
 * `scheme://host:port` → `{ host, port }`: the one URI parser of the
 * host-and-port transports (`tcp`, `udp`).
 *
 * What it accepts: the scheme in any case (`TCP://` is `tcp://`); a host
 * that is a name or an IPv4 literal (letters, digits, `.`, `-`, `_`), or an
 * IPv6 literal in brackets; a decimal port 0..65535 (0: any free port); and
 * after the port nothing, or one `/`. The host comes back exactly as written
 * (no case folding, `[::ffff:127.0.0.1]` stays `::ffff:127.0.0.1`), without
 * brackets, so `parseHostPortURI(formatHostPortURI(s, a), s)` equals `a`.
 *
 * Errors: a `TypeError` `Cannot parse "<uri>": <problem>` naming the
 * problem — not a string, another scheme, no `//`, no host, no port, a port
 * that is not a number or is over 65535, credentials, a path, a query, a
 * fragment, an unbracketed IPv6 literal, brackets around something else, an
 * IPv6 zone (`%eth0`) or a character no host has. Cost: a few string scans,
 * no allocation beyond the result.
 */
export function parseHostPortURI(uri: string, scheme: string): HostPort {
  if (typeof uri !== 'string') throw new TypeError(`Cannot parse ${String(uri)}: expected a string like "${scheme}://127.0.0.1:7000"`);
  const result = parseOrProblem(uri, scheme);
  if (typeof result === 'string') throw new TypeError(`Cannot parse "${uri}": ${result}`);
  return result;
}

/**
 * `{ host, port }` → `scheme://host:port`, an IPv6 literal in brackets
 * (`tcp://[::1]:7000`). Whatever it returns parses back to `address` with
 * {@link parseHostPortURI}.
 *
 * Errors: `TypeError` for a host a URI cannot hold (empty, an IPv6 zone, a
 * space, …), `RangeError` for a port outside 0..65535. Cost: one string.
 */
export function formatHostPortURI(scheme: string, address: HostPort): string {
  const { host, port } = address;
  if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) {
    throw new RangeError(`Cannot format port ${port}: a port is an integer in 0..${MAX_PORT}`);
  }
  const problem = hostProblem(host, isIPv6(host));
  if (problem !== undefined) throw new TypeError(`Cannot format a ${scheme} URI for host "${host}": ${problem}`);
  return `${scheme}://${formatHostPort({ host, port })}`;
}

/** The address `uri` names, or the problem that stops it. */
function parseOrProblem(uri: string, scheme: string): HostPort | string {
  const example = `"${scheme}://host:port"`;
  const given = SCHEME.exec(uri)?.[1];
  if (given === undefined) return `not a valid URI (expected ${example})`;
  if (given.toLowerCase() !== scheme.toLowerCase()) return `the scheme is "${given}", expected "${scheme}"`;
  const rest = uri.slice(given.length + 1);
  if (!rest.startsWith('//')) return `it has no host (expected ${example})`;
  const { authority, problem } = splitAuthority(rest.slice(2));
  if (problem !== undefined) return problem;
  if (authority.includes('@')) return 'credentials are not allowed';
  return hostAndPort(authority, scheme);
}

/** The authority of what follows `//`, or why nothing may follow it. */
function splitAuthority(text: string): { authority: string; problem?: string } {
  const hash = text.indexOf('#');
  if (hash >= 0) return { authority: '', problem: `a fragment ("${text.slice(hash)}") is not allowed` };
  const query = text.indexOf('?');
  if (query >= 0) return { authority: '', problem: `a query ("${text.slice(query)}") is not allowed` };
  const slash = text.indexOf('/');
  const path = slash < 0 ? '' : text.slice(slash);
  if (path !== '' && path !== '/') return { authority: '', problem: `a path ("${path}") is not allowed` };
  return { authority: slash < 0 ? text : text.slice(0, slash) };
}

/** `host:port` or `[v6]:port` → the address, or the problem. */
function hostAndPort(authority: string, scheme: string): HostPort | string {
  const bracketed = authority.startsWith('[');
  const close = bracketed ? authority.indexOf(']') : -1;
  if (bracketed && close < 0) return 'the "[" of an IPv6 host is never closed';
  const colon = bracketed ? close + 1 : authority.indexOf(':');
  if (!bracketed && colon >= 0 && authority.indexOf(':', colon + 1) >= 0) {
    return `an IPv6 host must be bracketed, as in ${scheme}://[::1]:7000`;
  }
  const host = bracketed ? authority.slice(1, close) : colon < 0 ? authority : authority.slice(0, colon);
  const after = colon < 0 ? '' : authority.slice(colon);
  if (host === '') return 'it has no host';
  const problem = hostProblem(host, bracketed);
  if (problem !== undefined) return problem;
  const port = portOf(after);
  return typeof port === 'string' ? port : { host, port };
}

/** `:port` → the port, or the problem. */
function portOf(after: string): number | string {
  if (after === '' || after === ':') return 'it has no port';
  if (!after.startsWith(':')) return `expected ":port" after the host, found "${after}"`;
  const digits = after.slice(1);
  if (!/^\d+$/.test(digits)) return `the port "${digits}" is not a number`;
  const port = Number(digits);
  return port > MAX_PORT ? `the port ${digits} is out of range 0..${MAX_PORT}` : port;
}

/** Why `host` cannot stand in a URI (bracketed: as an IPv6 literal), if it cannot. */
function hostProblem(host: string, bracketed: boolean): string | undefined {
  if (host === '') return 'it has no host';
  if (host.includes('%')) return `the host "${host}" has a zone or an escape, which these URIs do not take`;
  if (bracketed) return isIPv6(host) ? undefined : `"${host}" in brackets is not an IPv6 address`;
  return NAME.test(host) ? undefined : `the host "${host}" is not a name, an IPv4 address or a bracketed IPv6 address`;
}
