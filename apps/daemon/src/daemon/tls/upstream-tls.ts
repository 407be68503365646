import { createSecureContext } from 'node:tls';
import { isAllowed, TLSClient, TLSError, type TLSClientSecurity } from '@evergreen/tls';
import type { BaseStream } from '@evergreen/stream-core';
import type { ForwardTlsSpec } from '../../protocol/tls-spec.js';
import type { TlsReloadResult } from '../../protocol/tls-results.js';
import { DaemonError } from '../daemon-error.js';
import { certificateFacts, expiresSoon } from './certificate-facts.js';
import { readPemFiles } from './pem-files.js';

type UpstreamFile = 'ca' | 'cert' | 'key';

/** The files of a forward's `tls` block as read at one moment. */
interface UpstreamFiles {
  options: TLSClientSecurity;
  hash: string;
  warnings: string[];
}

/**
 * How a forward connects to a `tls://` upstream: the client's TLS options
 * (CA, client certificate, SNI, ALPN, version; verification always on),
 * the check of `verify`, and a reload of the files. Without a `tls` block
 * the upstream is verified against Node's root store and the target's host.
 */
export class UpstreamTls {
  readonly #spec: ForwardTlsSpec | undefined;
  readonly #baseDir: string;
  #files: UpstreamFiles;

  private constructor(spec: ForwardTlsSpec | undefined, baseDir: string, files: UpstreamFiles) {
    this.#spec = spec;
    this.#baseDir = baseDir;
    this.#files = files;
  }

  /**
   * Reads and checks the files of `tls` (relative paths against `baseDir`).
   * Rejects with `DaemonError` `invalid` naming the entry (`handler.tls.key`,
   * …) when a file cannot be read or the key does not match the
   * certificate; `action` starts its message. Cost: the reads, one or two
   * `createSecureContext`s.
   */
  static async read(tls: ForwardTlsSpec | undefined, baseDir: string, action: string): Promise<UpstreamTls> {
    return new UpstreamTls(tls, baseDir, await readUpstreamFiles(tls, baseDir, action));
  }

  /** The `TLSClient` options of the upstream connections (the files as last read). */
  get options(): TLSClientSecurity {
    return this.#files.options;
  }

  /** Warnings for the log: a client key readable by others, a client certificate about to expire. */
  get warnings(): readonly string[] {
    return this.#files.warnings;
  }

  /**
   * Throws a `TLSError` (`not-allowed`) after closing `upstream` when its
   * certificate carries none of the names of `verify`; does nothing without
   * `verify`. Call it before relaying a byte.
   */
  check(upstream: BaseStream): void {
    const verify = this.#spec?.verify;
    const restricted = verify !== undefined && ((verify.dns?.length ?? 0) > 0 || (verify.uri?.length ?? 0) > 0);
    if (!restricted || !(upstream instanceof TLSClient)) return;
    const certificate = upstream.peerCertificate;
    if (certificate !== null && isAllowed(certificate, verify)) return;
    upstream.close();
    const names = [...(certificate?.dnsNames ?? []), ...(certificate?.uris ?? [])].join(', ') || 'none';
    throw new TLSError(`Cannot relay to the upstream: its certificate names (${names}) match none of handler.tls.verify`, { reason: 'not-allowed' });
  }

  /**
   * Reads the files again; the connections made from now on use them when
   * they changed. A file that cannot be read or a key that does not match
   * keeps the old ones (`failed`). Never rejects.
   */
  async reload(name: string): Promise<TlsReloadResult> {
    const base = { name, credentials: 'upstream' as const };
    try {
      const next = await readUpstreamFiles(this.#spec, this.#baseDir, `Cannot reload the forward credentials of server "${name}"`);
      if (next.hash === this.#files.hash) return { ...base, status: 'unchanged', hash: next.hash };
      this.#files = next;
      return { ...base, status: 'reloaded', hash: next.hash };
    } catch (error) {
      return { ...base, status: 'failed', hash: this.#files.hash, message: (error as Error).message };
    }
  }
}

async function readUpstreamFiles(tls: ForwardTlsSpec | undefined, baseDir: string, action: string): Promise<UpstreamFiles> {
  if (tls === undefined) return { options: {}, hash: '', warnings: [] };
  const files = await readPemFiles<UpstreamFile>({ ca: tls.ca, cert: tls.cert, key: tls.key }, baseDir, 'handler.tls', action, ['key']);
  const { ca, cert, key } = files.contents;
  const invalid = (entry: UpstreamFile, error: unknown): DaemonError =>
    new DaemonError('invalid', `${action}: handler.tls.${entry} "${tls[entry]}" is not usable: ${(error as Error).message}`, { path: `handler.tls.${entry}`, value: tls[entry], expected: 'a PEM file that works' }, { cause: error });
  const warnings = files.exposedKeys.map((file) => `the forward's private key ${file} is readable by group or others: chmod 600 it`);
  if (ca !== undefined) {
    try {
      createSecureContext({ ca });
    } catch (error) {
      throw invalid('ca', error);
    }
  }
  if (cert !== undefined && key !== undefined) {
    try {
      createSecureContext({ cert, key });
      const facts = certificateFacts(cert);
      if (expiresSoon(facts)) warnings.push(`the forward's client certificate ${facts.subject} expires in ${facts.daysLeft} days`);
    } catch (error) {
      throw invalid('key', error);
    }
  }
  const options: TLSClientSecurity = { ...files.contents };
  if (tls.servername !== undefined) options.servername = tls.servername;
  if (tls.alpn !== undefined) options.alpnProtocols = tls.alpn;
  if (tls.minVersion !== undefined) options.minVersion = tls.minVersion;
  return { options, hash: files.hash, warnings };
}
