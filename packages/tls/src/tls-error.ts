import { StreamError, type StreamErrorOptions } from '@evergreen/stream-core';

/**
 * Why a TLS connection failed, the same on every Node and OpenSSL version:
 *
 * - `handshake-timeout`: the handshake did not finish within the server's `handshakeTimeoutMs`.
 * - `untrusted`: the peer's certificate does not chain to a trusted CA (or was refused by the peer as such).
 * - `expired`: a certificate is outside its validity period.
 * - `hostname-mismatch`: the server's certificate does not name the host (or `servername`) connected to.
 * - `no-client-cert`: the server requires a client certificate and got none.
 * - `not-allowed`: the client certificate is valid but matches none of the server's allow-lists.
 * - `alpn`: the two sides share no application protocol.
 * - `protocol-version`: the two sides share no TLS version.
 * - `not-tls`: the peer does not speak TLS (a plain-text client or server).
 * - `handshake-failed`: another TLS failure (a cipher mismatch, a bad signature, …); `cause` says which.
 */
export type TLSFailureReason =
  | 'handshake-timeout'
  | 'untrusted'
  | 'expired'
  | 'hostname-mismatch'
  | 'no-client-cert'
  | 'not-allowed'
  | 'alpn'
  | 'protocol-version'
  | 'not-tls'
  | 'handshake-failed';

/** `TLSError` options: a stream error's, and the reason when the code cannot tell it. */
export interface TLSErrorOptions extends StreamErrorOptions {
  reason?: TLSFailureReason;
}

/**
 * Node's certificate-verification codes (`authorizationError`, and the
 * `code` of a client's verification failure): OpenSSL's `X509_V_ERR_*`
 * names, which Node spells the same everywhere.
 */
const VERIFY_REASONS: Readonly<Record<string, TLSFailureReason>> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname-mismatch',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  CERT_SIGNATURE_FAILURE: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  CERT_REJECTED: 'untrusted',
  CERT_REVOKED: 'untrusted',
  INVALID_CA: 'untrusted',
  INVALID_PURPOSE: 'untrusted',
  UNABLE_TO_GET_CRL: 'untrusted',
  CERT_CHAIN_TOO_LONG: 'untrusted',
};

/**
 * Node's `ERR_SSL_*` codes (OpenSSL's reason names) that are not alerts.
 * Only names both OpenSSL 3.0 (Node 20) and 3.5 (Node 24) use are listed
 * where they differ in how they say it; the alerts are matched by their
 * alert name below, which is the part that stays the same.
 */
const SSL_REASONS: Readonly<Record<string, TLSFailureReason>> = {
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'no-client-cert',
  ERR_SSL_NO_APPLICATION_PROTOCOL: 'alpn',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol-version',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol-version',
  ERR_SSL_VERSION_TOO_LOW: 'protocol-version',
  ERR_SSL_HTTP_REQUEST: 'not-tls',
  ERR_SSL_HTTPS_PROXY_REQUEST: 'not-tls',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not-tls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'not-tls',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'handshake-timeout',
};

/**
 * An alert the peer sent, by the alert's name: Node spells the code
 * `ERR_SSL_<prefix>_ALERT_<NAME>`, and OpenSSL 3.5 changed the prefixes
 * (`SSLV3_` became `SSL/TLS_`), not the names.
 */
const ALERT_REASONS: Readonly<Record<string, TLSFailureReason>> = {
  CERTIFICATE_REQUIRED: 'no-client-cert',
  CERTIFICATE_EXPIRED: 'expired',
  UNKNOWN_CA: 'untrusted',
  BAD_CERTIFICATE: 'untrusted',
  UNSUPPORTED_CERTIFICATE: 'untrusted',
  CERTIFICATE_REVOKED: 'untrusted',
  CERTIFICATE_UNKNOWN: 'untrusted',
  PROTOCOL_VERSION: 'protocol-version',
  NO_APPLICATION_PROTOCOL: 'alpn',
};

const ALERT = /_ALERT_([A-Z_]+)$/;

/**
 * The reason a Node TLS error code stands for, or undefined when the code
 * is no TLS failure (`ECONNRESET`, …). Reads the `code` only, never the
 * message: OpenSSL's wording changes between versions.
 */
export function tlsReasonOf(code: unknown): TLSFailureReason | undefined {
  if (typeof code !== 'string') return undefined;
  const known = VERIFY_REASONS[code] ?? SSL_REASONS[code];
  if (known !== undefined) return known;
  const alert = ALERT.exec(code)?.[1];
  if (alert !== undefined) return ALERT_REASONS[alert] ?? 'handshake-failed';
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') ? 'handshake-failed' : undefined;
}

/**
 * The class of every error a TLS stream or server raises (a `StreamError`).
 *
 * `reason` says why a handshake or verification failed, in words that read
 * the same on Node 20 and 24 (see `TLSFailureReason`); it is undefined for
 * failures that are not TLS's (a refused connect, a reset, a closed
 * stream). It is taken from the Node error in `cause` (by its `code`) when
 * not given. A system failure also carries `errno`/`code` as a `TCPError`
 * would; errors of a kind (`StreamClosedError`, …) are both a `TLSError`
 * and that kind.
 */
export class TLSError extends StreamError {
  readonly reason?: TLSFailureReason;

  constructor(message: string, options: TLSErrorOptions = {}) {
    super(message, options);
    const reason = options.reason ?? tlsReasonOf((options.cause as { code?: unknown } | undefined)?.code);
    if (reason !== undefined) this.reason = reason;
  }
}
