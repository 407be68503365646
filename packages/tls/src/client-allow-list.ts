import type { PeerCertificate } from './peer-certificate.js';

/**
 * Which client certificates a server takes beyond "signed by a trusted CA":
 * a certificate passes when it matches any entry of any list. Absent or
 * all empty: every verified certificate passes.
 */
export interface ClientAllowList {
  /** Subject common names, compared exactly (case matters). */
  cn?: readonly string[];
  /** `subjectAltName` DNS names, compared exactly but for case (DNS is case-blind); no wildcards. */
  dns?: readonly string[];
  /**
   * `subjectAltName` URIs. A path segment that is exactly `*` matches any
   * one segment (`spiffe://corp/ns/*\/sa/api` takes every namespace's
   * `api`; `spiffe://corp/*` takes `spiffe://corp/billing`, not
   * `spiffe://corp/ns/billing`); everything else, the scheme and the trust
   * domain included, is compared exactly.
   */
  uri?: readonly string[];
}

/**
 * Checks `allow` once, when a server is made or its options change: throws
 * `TypeError` naming the list that is not an array of non-empty strings, and
 * for a URI pattern whose trust domain holds a `*`.
 */
export function checkAllowList(allow: ClientAllowList | undefined): void {
  if (allow === undefined) return;
  if (typeof allow !== 'object' || allow === null) throw new TypeError(`Cannot use allow ${String(allow)}: expected { cn?, dns?, uri? }`);
  for (const key of ['cn', 'dns', 'uri'] as const) {
    const list = allow[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((entry) => typeof entry === 'string' && entry !== '')) {
      throw new TypeError(`Cannot use allow.${key}: expected an array of non-empty strings`);
    }
  }
  for (const pattern of allow.uri ?? []) {
    if (authorityOf(pattern).includes('*')) throw new TypeError(`Cannot use allow.uri "${pattern}": a "*" may stand only for a whole path segment`);
  }
}

/** Whether `allow` has any entry (if not, every verified certificate passes). */
export function restricts(allow: ClientAllowList | undefined): boolean {
  return allow !== undefined && ((allow.cn?.length ?? 0) > 0 || (allow.dns?.length ?? 0) > 0 || (allow.uri?.length ?? 0) > 0);
}

/** Whether `certificate` matches an entry of `allow`. Cost: a pass over the lists and the names. */
export function isAllowed(certificate: PeerCertificate, allow: ClientAllowList): boolean {
  if (allow.cn?.some((cn) => certificate.commonNames.includes(cn))) return true;
  const dnsNames = certificate.dnsNames.map((name) => name.toLowerCase());
  if (allow.dns?.some((name) => dnsNames.includes(name.toLowerCase()))) return true;
  return allow.uri?.some((pattern) => certificate.uris.some((uri) => uriMatches(pattern, uri))) ?? false;
}

/** `pattern` against `uri`, segment by segment (see `ClientAllowList.uri`). */
function uriMatches(pattern: string, uri: string): boolean {
  if (!pattern.includes('*')) return pattern === uri;
  const want = pattern.split('/');
  const have = uri.split('/');
  if (want.length !== have.length) return false;
  return want.every((segment, i) => segment === have[i] || (segment === '*' && i >= 3 && have[i] !== ''));
}

/** `scheme://authority` of a URI pattern (what a `*` may not touch). */
function authorityOf(pattern: string): string {
  return pattern.split('/').slice(0, 3).join('/');
}
