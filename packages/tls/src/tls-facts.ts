import type { TLSSocket } from 'node:tls';

/** The cipher suite a connection uses (Node's `getCipher()`). */
export interface TLSCipher {
  /** OpenSSL's name (`TLS_AES_128_GCM_SHA256`). */
  readonly name: string;
  /** The IETF name. */
  readonly standardName: string;
  /** The lowest TLS version the suite works with. */
  readonly version: string;
}

/*
 * What a TLS client and a TLS connection both say about their session, one
 * function each so the two classes share them. Every one answers from the
 * socket (no copy); before the handshake, or without a socket, they give
 * the "nothing yet" value.
 */

/** `'TLSv1.3'`, `'TLSv1.2'`, or null before the handshake. */
export function protocolOf(socket: TLSSocket | undefined): string | null {
  return socket?.getProtocol() ?? null;
}

/** The negotiated cipher, or null before the handshake. */
export function cipherOf(socket: TLSSocket | undefined): TLSCipher | null {
  const cipher = socket?.getCipher();
  // Node gives an empty-ish object before the handshake.
  if (cipher === undefined || !cipher.name) return null;
  return { name: cipher.name, standardName: cipher.standardName, version: cipher.version };
}

/** The protocol ALPN agreed on (`'h2'`), or null when none was. */
export function alpnProtocolOf(socket: TLSSocket | undefined): string | null {
  const protocol = socket?.alpnProtocol;
  return typeof protocol === 'string' ? protocol : null;
}

/** Whether the session was resumed (a ticket or a session id), not negotiated anew. */
export function sessionReusedOf(socket: TLSSocket | undefined): boolean {
  return socket?.isSessionReused() ?? false;
}

/** Whether the peer's certificate was verified against the trusted CAs. */
export function authorizedOf(socket: TLSSocket | undefined): boolean {
  return socket?.authorized ?? false;
}

/** Node's code for why the peer's certificate did not verify (`'CERT_HAS_EXPIRED'`), or null. */
export function authorizationErrorOf(socket: TLSSocket | undefined): string | null {
  const error = socket?.authorizationError as Error | string | null | undefined;
  if (error === undefined || error === null) return null;
  return typeof error === 'string' ? error : ((error as { code?: string }).code ?? error.message);
}
