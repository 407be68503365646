import type { SocketAddress, StreamConnection, StreamTransport } from '@evergreen/stream-core';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, TLSConnection, TLSServer, type TLSError, type HandshakeErrorInfo } from '@evergreen/tls';
import type { StreamHandler } from '../../handlers/handler.js';
import type { ServerInfo, ServerOrigin, ServerStatsInfo } from '../../protocol/results.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import type { ServerTlsSpec } from '../../protocol/tls-spec.js';
import type { TlsConnectionInfo, TlsReloadResult } from '../../protocol/tls-results.js';
import type { HostContext } from '../hosting/hosted-server.js';
import { StreamHost } from '../hosting/stream-host.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { HandshakeStats } from './handshake-stats.js';
import { HandshakesInProgress } from './handshakes-in-progress.js';
import { ServerCredentials } from './server-credentials.js';
import { daysLeft } from './certificate-facts.js';

/** How long past its timeout an unreported handshake still counts (see `HandshakesInProgress`). */
const HANDSHAKE_MARGIN_MS = 1_000;

/**
 * A hosted `tls://` server: a `StreamHost` whose listener is a `TLSServer`
 * with the credentials of the server's `tls` block. Admission (allow/deny,
 * `maxConnections`, `maxPerSource`) is decided at TCP accept, before any
 * handshake CPU is spent, and handshakes in progress count against the
 * limits. Handshakes are counted (ok, resumed, failed by reason) and failed
 * ones logged, rate-limited; each connection's record carries the peer's
 * identity, ALPN and TLS version. `reloadCredentials` swaps in the files'
 * new contents without rebinding.
 */
export class TlsStreamHost extends StreamHost {
  readonly #tls: ServerTlsSpec;
  readonly #baseDir: string;
  #credentials: ServerCredentials;
  #loadedAt = Date.now();
  readonly #handshakes: HandshakesInProgress;
  readonly #stats = new HandshakeStats();
  readonly #failures: RateLimitedLog;

  constructor(spec: ServerSpec & { tls: ServerTlsSpec }, origin: ServerOrigin, context: HostContext, transport: StreamTransport, handler: StreamHandler, credentials: ServerCredentials, baseDir: string) {
    super(spec, origin, context, transport, handler);
    this.#tls = spec.tls;
    this.#baseDir = baseDir;
    this.#credentials = credentials;
    this.#handshakes = new HandshakesInProgress((spec.tls.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS) + HANDSHAKE_MARGIN_MS);
    this.#failures = new RateLimitedLog(this._log, 'TLS handshake failure');
    this.#warn(credentials);
  }

  /**
   * Reads the credential files again and, when they changed, swaps them in
   * for the handshakes that follow (connections already open keep theirs,
   * saved sessions still resume). A file that cannot be read or credentials
   * that do not work leave the old ones in use: `failed` with the reason.
   */
  async reloadCredentials(): Promise<TlsReloadResult> {
    const name = this.name;
    const credentials = 'server' as const;
    let next: ServerCredentials;
    try {
      next = await ServerCredentials.read(this.#tls, this.#baseDir, `Cannot reload the credentials of server "${name}"`);
      if (next.hash === this.#credentials.hash) return { name, credentials, status: 'unchanged', hash: next.hash };
      const server = this._server;
      if (server !== undefined && !(server instanceof TLSServer)) throw new Error(`Cannot reload the credentials of server "${name}": its tls transport is not @evergreen/tls's and cannot swap them`);
      server?.setCredentials(next.credentials);
    } catch (error) {
      const message = (error as Error).message;
      this._log.warn({ err: error }, 'TLS credentials not reloaded: the old ones stay in use');
      return { name, credentials, status: 'failed', hash: this.#credentials.hash, message };
    }
    this.#credentials = next;
    this.#loadedAt = Date.now();
    this._log.info({ subject: next.certificate.subject, notAfter: new Date(next.certificate.notAfter).toISOString(), hash: next.hash }, 'TLS credentials reloaded');
    this.#warn(next);
    return { name, credentials, status: 'reloaded', hash: next.hash };
  }

  override stats(): ServerStatsInfo {
    return { ...super.stats(), tls: this.#stats.snapshot(this.#handshakes.size) };
  }

  override info(): ServerInfo {
    const { certificate, hash } = this.#credentials;
    return { ...super.info(), tls: { certificate: { ...certificate, daysLeft: daysLeft(certificate.notAfter) }, hash, loadedAt: this.#loadedAt } };
  }

  protected override _serverOptions(): object {
    return {
      ...this.#credentials.serverOptions(this.#tls),
      admit: (remote: SocketAddress | null) => this.#admit(remote),
      onHandshakeError: (error: TLSError, info: HandshakeErrorInfo) => this.#handshakeFailed(error, info),
    };
  }

  protected override _inHandshake(source: string): { total: number; fromSource: number } {
    return { total: this.#handshakes.size, fromSource: this.#handshakes.fromSource(source) };
  }

  protected override _handedOver(conn: StreamConnection): TlsConnectionInfo | undefined {
    if (!(conn instanceof TLSConnection)) return undefined;
    let durationMs: number | undefined;
    try {
      const { address, port } = conn.peername;
      durationMs = this.#handshakes.finish(address, port);
    } catch {
      // Gone already: its handshake entry ages out.
    }
    this.#stats.succeeded(conn.sessionReused, durationMs);
    // A server that asks for no client certificate gets none: no need to ask the socket (a copy out of OpenSSL).
    const certificate = (this.#tls.clientAuth ?? 'none') === 'none' ? null : conn.peerCertificate;
    return {
      peer: certificate === null ? null : (certificate.commonNames[0] ?? certificate.uris[0] ?? null),
      alpn: conn.alpnProtocol,
      version: conn.protocol,
      resumed: conn.sessionReused,
    };
  }

  /** At TCP accept, before the handshake: the server's admission, counting handshakes in progress. */
  #admit(remote: SocketAddress | null): boolean {
    if (remote === null || this._refusal(remote.address) !== undefined) return false;
    this.#handshakes.start(remote.address, remote.port);
    return true;
  }

  #handshakeFailed(error: TLSError, { remote, servername }: HandshakeErrorInfo): void {
    if (remote !== null) this.#handshakes.finish(remote.address, remote.port);
    const reason = error.reason ?? (error.code === 'ECONNRESET' ? 'disconnected' : 'handshake-failed');
    this.#stats.failed(reason);
    this.#failures.warn({ source: remote?.address ?? null, servername, reason, detail: error.message }, 'TLS handshake failed');
  }

  #warn(credentials: ServerCredentials): void {
    for (const warning of credentials.warnings) this._log.warn({ certificate: credentials.certificate.subject }, `TLS: ${warning}`);
  }
}
