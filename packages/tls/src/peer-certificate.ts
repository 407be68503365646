import type { DetailedPeerCertificate, PeerCertificate as NodePeerCertificate, TLSSocket } from 'node:tls';

/**
 * What a peer's certificate says about who it is: enough for an allow-list,
 * a log line or an expiry warning.
 */
export interface PeerCertificate {
  /** The subject's common name(s) (`CN`); empty when it has none. */
  readonly commonNames: readonly string[];
  /** `subjectAltName` DNS names, as written. */
  readonly dnsNames: readonly string[];
  /** `subjectAltName` IP addresses, as OpenSSL prints them (`127.0.0.1`, `0:0:0:0:0:0:0:1`). */
  readonly ipAddresses: readonly string[];
  /** `subjectAltName` URIs (SPIFFE IDs: `spiffe://corp/ns/billing/sa/api`). */
  readonly uris: readonly string[];
  /** SHA-256 fingerprint, colon-separated hex (`AB:CD:…`). */
  readonly fingerprint256: string;
  /** Start of validity. */
  readonly notBefore: Date;
  /** End of validity. */
  readonly notAfter: Date;
  /** The issuer's common name, or null. */
  readonly issuerCommonName: string | null;
}

/** One `subjectAltName` entry: `DNS:name`, or `URI:"value, with a comma"` (Node quotes values it must escape). */
const ALT_NAME = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;

/** Parsed certificates by socket: a certificate does not change once the handshake is done. */
const cache = new WeakMap<TLSSocket, PeerCertificate | null>();

/**
 * The certificate `socket`'s peer presented, or null when it presented none
 * (or the handshake is not done). Cost: parsing the certificate's names the
 * first time; after that a WeakMap lookup.
 */
export function peerCertificateOf(socket: TLSSocket | undefined): PeerCertificate | null {
  if (socket === undefined) return null;
  let certificate = cache.get(socket);
  if (certificate === undefined) {
    // `getPeerCertificate()` is `{}` until there is one, and null once the socket is gone.
    const node = socket.getPeerCertificate() as DetailedPeerCertificate | null;
    certificate = node?.raw === undefined ? null : toPeerCertificate(node);
    if (certificate !== null || socket.destroyed) cache.set(socket, certificate);
  }
  return certificate;
}

/** Node's certificate object → ours. */
export function toPeerCertificate(node: NodePeerCertificate): PeerCertificate {
  const names = { DNS: [] as string[], 'IP Address': [] as string[], URI: [] as string[] };
  for (const [, kind, value] of (node.subjectaltname ?? '').matchAll(ALT_NAME)) {
    const list = names[kind as keyof typeof names];
    if (list !== undefined) list.push(value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return {
    commonNames: listOf(node.subject?.CN),
    dnsNames: names.DNS,
    ipAddresses: names['IP Address'],
    uris: names.URI,
    fingerprint256: node.fingerprint256,
    notBefore: new Date(node.valid_from),
    notAfter: new Date(node.valid_to),
    issuerCommonName: listOf(node.issuer?.CN)[0] ?? null,
  };
}

/** A subject field: Node gives a string, or an array when the name repeats. */
function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
