import type { Socket } from 'node:net';
import { createServer as createTLSServer, type Server as NodeTLSServer, type TlsOptions, type TLSSocket } from 'node:tls';
import {
  MAX_TIMER_MS,
  HostPortServer,
  formatHostPort,
  timerDelay,
  toSocketAddress,
  type ConnectionHandler,
  type SocketAddress,
  type StreamServerOptions,
} from '@evergreen/stream-core';
import { TLSError, tlsReasonOf } from './tls-error.js';
import { TLSConnection } from './tls-connection.js';
import { checkAllowList, isAllowed, restricts, type ClientAllowList } from './client-allow-list.js';
import {
  checkCredentials,
  checkPolicy,
  newSessionIdContext,
  newTicketKeys,
  type TLSCredentials,
  type TLSPolicy,
} from './tls-credentials.js';
import { peerCertificateOf } from './peer-certificate.js';
import { authorizationErrorOf } from './tls-facts.js';
import { isStringList } from './tls-client.js';

/** How long a client may take over its whole handshake before it is disconnected (10 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Whether a server asks clients for a certificate: never, if they have one, or always. */
export type ClientAuth = 'none' | 'optional' | 'require';

/** What `onHandshakeError` learns about the client that failed. */
export interface HandshakeErrorInfo {
  /** The client's address, or null when it was already gone at accept. */
  remote: SocketAddress | null;
  /** The name the client asked for (SNI), or null when it sent none or got no further. */
  servername: string | null;
}

/** A server's certificate, trust, client-certificate policy and handshake limits. */
export interface TLSServerSecurity extends TLSCredentials, TLSPolicy {
  /**
   * Whether to ask clients for a certificate (default `'none'`). With
   * `'require'` a client without one is refused (`no-client-cert`); with
   * `'optional'` one without passes, but one that presents a certificate
   * that does not verify against `ca` is refused all the same (`untrusted`,
   * `expired`). The server checks this itself after Node's handshake, so
   * each refusal has its reason.
   */
  clientAuth?: ClientAuth;
  /** Which verified client certificates pass (see `ClientAllowList`); needs `clientAuth` other than `'none'`. */
  allow?: ClientAllowList;
  /** ALPN protocols the server speaks, most preferred first; a client that offers only others is refused (`alpn`). */
  alpnProtocols?: string[];
  /**
   * How long a client may take over its whole handshake, from accept (default
   * 10 s; 1..2^31-1 ms). Node's own `handshakeTimeout` only reports the
   * expiry and leaves the client connected, and restarts on every byte; this
   * one disconnects it, whatever it trickles.
   */
  handshakeTimeoutMs?: number;
  /**
   * Told of every handshake that fails — a timeout, a plain-text client, a
   * refused certificate, no shared version — with a `TLSError` whose
   * `reason` says which, and who it was. The socket is already destroyed; no
   * handler hears of it. Default: nothing (a public port sees scanners all
   * day); a throw is reported as a process warning.
   */
  onHandshakeError?: (error: TLSError, info: HandshakeErrorInfo) => void;
}

/** Options of a server: its TLS settings, and a `StreamServer`'s (limits, `onError`, `admit`, …). */
export interface TLSServerOptions extends StreamServerOptions<TLSConnection>, TLSServerSecurity {}

/** A socket in its handshake: how to end it. */
interface PendingHandshake {
  /** Ends the handshake: with the socket to serve, or with the error that failed it. */
  settle(outcome: TLSSocket | TLSError): void;
  /** Node's socket over the accepted one, once an event named it. */
  tlsSocket?: TLSSocket;
}

const CLIENT_AUTH: readonly string[] = ['none', 'optional', 'require'];

/**
 * A TLS server: `bind()` an address, then `serve()` hands each connection
 * (a `TLSConnection`) to `handleConnection` once its handshake is done and
 * its client certificate passed — see `StreamServer` for the lifecycle.
 *
 * stream-core's listener accepts; each socket goes to a `tls.Server` of
 * Node's that never listens (`emit('connection')`, as Node documents), so
 * verification, session resumption and SNI work as in any Node TLS server.
 * Sockets in their handshake count in `pendingConnections` and `close()`
 * ends them. Secure by default: TLS 1.2 or later, renegotiation refused,
 * ticket keys and a session-id context of its own (a session another
 * server in this process issued never resumes here), a handshake timeout
 * that disconnects.
 *
 * Errors: the constructor throws `TypeError`/`RangeError` for invalid
 * options and a `TLSError` for credentials that do not work (a key that
 * does not match its certificate); `bind` rejects as `TCPServer#bind`
 * does, with `TLSError`s. Handshake failures go to `onHandshakeError`.
 * Cost: one listening `net.Server`, one `tls.Server`; per connection a
 * `net.Socket`, a `tls.TLSSocket` and, during the handshake, a timer.
 */
export class TLSServer extends HostPortServer<TLSConnection> {
  readonly #tls: NodeTLSServer;
  readonly #pending = new Map<Socket, PendingHandshake>();
  readonly #policy: TLSPolicy;
  readonly #sessionIdContext = newSessionIdContext();
  readonly #clientAuth: ClientAuth;
  readonly #allow: ClientAllowList | undefined;
  readonly #handshakeTimeoutMs: number;
  readonly #onHandshakeError: ((error: TLSError, info: HandshakeErrorInfo) => void) | undefined;

  constructor(handler: ConnectionHandler<TLSConnection> | undefined, options: TLSServerOptions) {
    const action = 'Cannot create the TLS server';
    if (typeof options !== 'object' || options === null) throw new TypeError(`${action}: expected options with a key and a cert`);
    checkServerSecurity(options, action);
    super(handler, options, TLSError);
    this.#policy = { minVersion: options.minVersion, maxVersion: options.maxVersion, ciphers: options.ciphers };
    this.#clientAuth = options.clientAuth ?? 'none';
    this.#allow = options.allow;
    this.#handshakeTimeoutMs = timerDelay(options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.#onHandshakeError = options.onHandshakeError;
    const contextOptions = checkCredentials(options, this.#policy, action);
    const tlsOptions: TlsOptions = {
      ...contextOptions,
      requestCert: this.#clientAuth !== 'none',
      // Node would refuse a bad client certificate with a bare reset, and
      // lose why; the server decides itself after the handshake (#refusal).
      rejectUnauthorized: false,
      ticketKeys: newTicketKeys(),
      sessionIdContext: this.#sessionIdContext,
      // The handshake timeout is ours (see handshakeTimeoutMs); Node's would only report.
      handshakeTimeout: MAX_TIMER_MS,
    };
    if (options.alpnProtocols !== undefined) tlsOptions.ALPNProtocols = options.alpnProtocols;
    this.#tls = createTLSServer(tlsOptions);
    this.#tls.on('secureConnection', (socket: TLSSocket) => this.#secured(socket));
    this.#tls.on('tlsClientError', (error: Error, socket: TLSSocket) => this.#failed(error, socket));
  }

  /**
   * Replaces the certificate, key, CA bundle and CRLs for the handshakes
   * that follow; connections already open keep what they negotiated. The
   * new credentials are checked first: when they do not work (a key that
   * does not match its certificate, a wrong passphrase, bad PEM) this throws
   * — a `TypeError` for a missing key or certificate, a `TLSError` with
   * Node's error as `cause` otherwise — and the old ones stay. Session
   * ticket keys are kept, so sessions saved before still resume (Node's
   * `setSecureContext` alone would make new ones).
   */
  setCredentials(credentials: TLSCredentials): void {
    const options = checkCredentials(credentials, this.#policy, 'Cannot set the TLS credentials');
    this.#tls.setSecureContext({ ...options, ticketKeys: this.#tls.getTicketKeys(), sessionIdContext: this.#sessionIdContext });
  }

  /**
   * Replaces the session ticket keys with new random ones: sessions saved
   * before no longer resume (their clients make a full handshake). Rotate
   * them now and then, so a stolen key opens only a bounded stretch of
   * traffic.
   */
  rotateTicketKeys(): void {
    this.#tls.setTicketKeys(newTicketKeys());
  }

  protected _createConnection(socket: Socket): TLSConnection {
    return new TLSConnection(socket as TLSSocket, this._connectionOptions);
  }

  /** Hands `raw` to Node's TLS server and resolves its `TLSSocket` once the handshake and our checks passed. */
  protected override _handshake(raw: Socket, signal: AbortSignal): Promise<Socket> {
    const remote = remoteOf(raw);
    raw.setNoDelay(true);
    // Node's TLS socket takes this from the accepted one: a client that
    // leaves mid-handshake (a FIN) then ends it, and Node reports the
    // failure, instead of a half-open socket waiting for the timeout.
    // It is made half-open again once the handshake is done (#secured).
    raw.allowHalfOpen = false;
    return new Promise((resolve, reject) => {
      const pending: PendingHandshake = {
        settle: (outcome) => {
          if (!this.#pending.delete(raw)) return;
          clearTimeout(timer);
          raw.off('close', onClose);
          if (!(outcome instanceof TLSError)) return resolve(outcome);
          pending.tlsSocket?.destroy();
          raw.destroy();
          if (!signal.aborted) this.#report(outcome, remote, pending.tlsSocket);
          reject(outcome);
        },
      };
      // Node does not always tell its TLS server of a client that left mid-handshake in a way
      // we can match to this socket (its TLS socket may have dropped `_parent` by then).
      // This is also how an abort ends the handshake: the closing server destroys the socket
      // (no listener on `signal`: one per connection is a cost every handshake would pay).
      const onClose = (): void =>
        pending.settle(this._errors.withCode(`Cannot complete the TLS handshake with ${describeRemote(remote)}`, 'ECONNRESET', 'the client closed the connection') as TLSError);
      const timer = setTimeout(
        () => pending.settle(new TLSError(`Cannot complete the TLS handshake with ${describeRemote(remote)}: it took longer than ${this.#handshakeTimeoutMs} ms`, { reason: 'handshake-timeout' })),
        this.#handshakeTimeoutMs,
      );
      raw.once('close', onClose);
      this.#pending.set(raw, pending);
      this.#tls.emit('connection', raw);
    });
  }

  /**
   * Node finished a handshake: our client-certificate checks decide, on the
   * next turn. Node tells of the handshake before it has written the
   * server's last flight (measured: with TLS 1.2, a connection closed in the
   * same turn never sends its Finished, and the client sees a reset instead
   * of a connection), so nothing may close the socket before then. Until
   * the connection has its stream, an error ends the handshake instead of
   * going unheard.
   */
  #secured(socket: TLSSocket): void {
    const pending = this.#pendingOf(socket);
    if (pending === undefined) return;
    // Half-open from here, not only from the hand-over: a TLS 1.3 client may
    // send its FIN right behind its Finished, and a FIN read before the
    // hand-over would otherwise end our side too, losing the answer.
    socket.allowHalfOpen = true;
    const failed = (error: Error): void => this.#failed(error, socket);
    socket.once('error', failed);
    setImmediate(() => {
      socket.off('error', failed);
      pending.settle(this.#refusal(socket) ?? socket);
    });
  }

  /** Node failed a handshake (a TLS error, a reset, its own timeout). */
  #failed(error: Error, socket: TLSSocket): void {
    const pending = this.#pendingOf(socket);
    if (pending === undefined) return;
    pending.settle(new TLSError(`Cannot complete the TLS handshake with ${describeRemote(remoteOf(socket))}: ${error.message}`, { cause: error }));
  }

  /**
   * The handshake `socket` (Node's socket over an accepted one) belongs to.
   * Node gives the TLS socket, which keeps the accepted one as `_parent`
   * (long-standing, if undocumented). A socket whose handshake already
   * ended — timed out, or the server closing — is destroyed.
   */
  #pendingOf(socket: TLSSocket): PendingHandshake | undefined {
    const raw = (socket as TLSSocket & { _parent?: Socket | null })._parent;
    const pending = raw === undefined || raw === null ? undefined : this.#pending.get(raw);
    if (pending === undefined) socket.destroy();
    else pending.tlsSocket = socket;
    return pending;
  }

  /** Why the client of a finished handshake is refused, or undefined when it passes. */
  #refusal(socket: TLSSocket): TLSError | undefined {
    if (this.#clientAuth === 'none') return undefined;
    const refuse = (detail: string, reason: TLSError['reason'], cause?: unknown): TLSError =>
      new TLSError(`Cannot accept the TLS client ${describeRemote(remoteOf(socket))}: ${detail}`, { reason, cause });
    const certificate = peerCertificateOf(socket);
    if (certificate === null) return this.#clientAuth === 'require' ? refuse('it sent no certificate', 'no-client-cert') : undefined;
    if (!socket.authorized) {
      const code = authorizationErrorOf(socket);
      return refuse(`its certificate did not verify (${code})`, tlsReasonOf(code) ?? 'untrusted', socket.authorizationError);
    }
    if (restricts(this.#allow) && !isAllowed(certificate, this.#allow!)) {
      const who = certificate.commonNames[0] ?? certificate.uris[0] ?? certificate.dnsNames[0] ?? certificate.fingerprint256;
      return refuse(`its certificate (${who}) matches no allow-list entry`, 'not-allowed');
    }
    return undefined;
  }

  #report(error: TLSError, remote: SocketAddress | null, socket: TLSSocket | undefined): void {
    if (this.#onHandshakeError === undefined) return;
    const name = socket?.servername;
    try {
      this.#onHandshakeError(error, { remote, servername: typeof name === 'string' && name !== '' ? name : null });
    } catch (thrown) {
      process.emitWarning(`onHandshakeError threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
    }
  }
}

/** Throws `TypeError`/`RangeError` for server TLS options that are not ones (credentials are checked by building them). */
function checkServerSecurity(options: TLSServerSecurity, action: string): void {
  checkPolicy(options, action);
  if (options.clientAuth !== undefined && !CLIENT_AUTH.includes(options.clientAuth)) {
    throw new TypeError(`${action}: clientAuth "${String(options.clientAuth)}" is not one of ${CLIENT_AUTH.join(', ')}`);
  }
  checkAllowList(options.allow);
  if (restricts(options.allow) && (options.clientAuth ?? 'none') === 'none') throw new TypeError(`${action}: an allow-list needs clientAuth 'optional' or 'require'`);
  if (options.alpnProtocols !== undefined && !isStringList(options.alpnProtocols)) throw new TypeError(`${action}: alpnProtocols must be an array of non-empty strings`);
  if (options.handshakeTimeoutMs === 0) throw new RangeError(`${action}: handshakeTimeoutMs must be at least 1`);
  if (options.onHandshakeError !== undefined && typeof options.onHandshakeError !== 'function') throw new TypeError(`${action}: onHandshakeError must be a function`);
}

/** The peer's address of a socket, or null once it is gone. */
function remoteOf(socket: Socket): SocketAddress | null {
  const { remoteAddress: address, remotePort: port, remoteFamily: family } = socket;
  return address === undefined || port === undefined ? null : toSocketAddress({ address, port, family });
}

function describeRemote(remote: SocketAddress | null): string {
  return remote === null ? 'a client that is gone' : formatHostPort({ host: remote.address, port: remote.port });
}
