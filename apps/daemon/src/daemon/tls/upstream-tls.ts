import { isAllowed, TLSClient, TLSError, type TLSClientSecurity } from '@evergreen/tls';
import type { BaseStream } from '@evergreen/stream-core';
import type { ForwardTlsSpec } from '../../protocol/tls-spec.js';
import { readPemFiles } from './pem-files.js';

/** How a forward connects to a `tls://` upstream: the client's TLS options, and the check of `verify`. */
export interface UpstreamTls {
  /** `TLSClient` options: CA, client certificate, SNI, ALPN, version; verification always on. */
  readonly options: TLSClientSecurity;
  /**
   * Throws a `TLSError` (`not-allowed`) after closing `upstream` when its
   * certificate carries none of the names of `verify`; does nothing without
   * `verify`. Call it before relaying a byte.
   */
  check(upstream: BaseStream): void;
}

/**
 * Reads the files of a forward's `tls` block (relative paths against
 * `baseDir`) into the options of the upstream connections. Without a block
 * the upstream is verified against Node's root store and the target's host.
 * Rejects with `DaemonError` `invalid` (`handler.tls.ca`, …) when a file
 * cannot be read; `action` starts its message. Cost: the reads, once.
 */
export async function upstreamTls(tls: ForwardTlsSpec | undefined, baseDir: string, action: string): Promise<UpstreamTls> {
  if (tls === undefined) return { options: {}, check: () => {} };
  const files = await readPemFiles<'ca' | 'cert' | 'key'>({ ca: tls.ca, cert: tls.cert, key: tls.key }, baseDir, 'handler.tls', action, ['key']);
  const options: TLSClientSecurity = { ...files.contents };
  if (tls.servername !== undefined) options.servername = tls.servername;
  if (tls.alpn !== undefined) options.alpnProtocols = tls.alpn;
  if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
  const verify = tls.verify;
  const restricted = verify !== undefined && ((verify.dns?.length ?? 0) > 0 || (verify.uri?.length ?? 0) > 0);
  return {
    options,
    check(upstream) {
      if (!restricted || !(upstream instanceof TLSClient)) return;
      const certificate = upstream.peerCertificate;
      if (certificate !== null && isAllowed(certificate, verify)) return;
      upstream.close();
      const names = [...certificate?.dnsNames ?? [], ...certificate?.uris ?? []].join(', ') || 'none';
      throw new TLSError(`Cannot relay to the upstream: its certificate names (${names}) match none of handler.tls.verify`, { reason: 'not-allowed' });
    },
  };
}
