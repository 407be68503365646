/**
 * What the daemon reports about TLS: per server (its handshakes, its
 * certificate), per connection (who the peer is), and per credential reload.
 * Times are milliseconds since the epoch.
 */

/** A tls:// server's handshakes since it started. */
export interface TlsHandshakeStats {
  /** Handshakes that ended in a served connection (resumed ones included). */
  ok: number;
  /** Of those, the ones that resumed a session (no certificate exchanged). */
  resumed: number;
  /** Failed handshakes by `reason` (`not-tls`, `handshake-timeout`, `not-allowed`, `untrusted`, …; `disconnected`: the client left). */
  failed: Record<string, number>;
  /** Handshakes admitted and not finished. */
  inProgress: number;
  /** The mean time from accept to a served connection, or null before the first. */
  meanHandshakeMs: number | null;
}

/** The certificate a server presents. */
export interface TlsCertificateInfo {
  subject: string;
  issuer: string;
  /** `DNS:api.corp`, `IP Address:10.0.0.1`, `URI:spiffe://…`. */
  subjectAltNames: string[];
  notAfter: number;
  /** Whole days left until `notAfter` (negative once expired). */
  daysLeft: number;
  fingerprint256: string;
}

/** A tls:// server's credentials, as `servers` shows them. */
export interface ServerTlsInfo {
  certificate: TlsCertificateInfo;
  /** SHA-256 over the credential files (cert, key, ca): a reload that finds the same says `unchanged`. */
  hash: string;
  /** When the files in use were read. */
  loadedAt: number;
}

/** A TLS connection's peer and session. */
export interface TlsConnectionInfo {
  /** The client certificate's CN, else its first URI SAN; null without a client certificate. */
  peer: string | null;
  /** The ALPN protocol agreed on, or null. */
  alpn: string | null;
  /** `TLSv1.3`, `TLSv1.2`. */
  version: string | null;
  /** Whether the handshake resumed a session. */
  resumed: boolean;
}

/** One server's credential reload (`config.reload`, SIGHUP, `tls.reload`). */
export interface TlsReloadResult {
  name: string;
  /** Whose files: the `tls://` listen's (`server`) or a forward's toward its `tls://` target (`upstream`). */
  credentials: 'server' | 'upstream';
  /** `reloaded`: new files in use; `unchanged`: same digest, nothing done; `failed`: the old credentials stay. */
  status: 'reloaded' | 'unchanged' | 'failed';
  /** The digest of the files now in use. */
  hash: string;
  /** Why it failed. */
  message?: string;
}
