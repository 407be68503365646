import { isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import {
  DuplexStream,
  formatHostPort,
  socketName,
  localSide,
  toHostPort,
  type AddressInput,
  type BaseStreamOptions,
  type SocketAddress,
  type SocketConnector,
} from '@evergreen/stream-core';
import { TLSError } from './tls-error.js';
import { checkPolicy, credentialOptions, policyOptions, type PEM, type TLSPolicy } from './tls-credentials.js';
import { peerCertificateOf, type PeerCertificate } from './peer-certificate.js';
import { alpnProtocolOf, authorizationErrorOf, authorizedOf, cipherOf, protocolOf, sessionReusedOf, type TLSCipher } from './tls-facts.js';

/** How a client proves itself (mTLS), whom it trusts, and what it asks for. */
export interface TLSClientSecurity extends TLSPolicy {
  /** CA certificates (PEM) the server's certificate must chain to; default: Node's root store. */
  ca?: PEM | PEM[];
  /** A client certificate chain (PEM), for servers that ask for one; needs `key`. */
  cert?: PEM | PEM[];
  /** The client certificate's private key (PEM). */
  key?: PEM | PEM[];
  /** Decrypts `key`. */
  passphrase?: string;
  /**
   * The name sent as SNI and checked against the server's certificate.
   * Default: the host connected to when it is a DNS name; none for an IP
   * address (the certificate is then checked for that IP).
   */
  servername?: string;
  /** ALPN protocols to offer, most wanted first (`['h2', 'http/1.1']`). */
  alpnProtocols?: string[];
  /** A session saved from an earlier client's `session`, to resume it (an abbreviated handshake). */
  session?: Buffer;
  /**
   * Refuse a server whose certificate does not verify (default true). With
   * false, `connect` resolves anyway and `authorized`/`authorizationError`
   * say what is wrong: for tests and diagnostics only.
   */
  rejectUnauthorized?: boolean;
}

/** Limits of the stream and the TLS settings of a client. */
export interface TLSClientOptions extends Omit<BaseStreamOptions, 'errorClass'>, TLSClientSecurity {}

/** `connect` options. */
export interface TLSConnectOptions {
  /** Cancels the connect and the handshake: it rejects with `signal.reason` and the client is closed. */
  signal?: AbortSignal;
}

/**
 * A TLS client stream: create it, `connect()`, then read and write.
 *
 * `connect` resolves only once the handshake is done and the server's
 * certificate verified (chain and name), so nothing is sent to an
 * unverified peer: writes made before are buffered until then. A name is
 * resolved and its addresses tried as `TCPClient` does (Happy Eyeballs).
 *
 * With TLS 1.3 the server decides about *our* certificate after the client
 * has finished its handshake: a server that refuses it shows up after
 * `connect()`, as end of stream or an error on the first read (a TLS 1.2
 * server refuses during the handshake, so `connect` rejects).
 *
 * Errors: every error it raises is a `TLSError` (and of its kind); a failed
 * handshake has a `reason`. Cost: one `tls.TLSSocket`; reads go through
 * shared memory (Node's `onread`), zero-copy inside one received chunk.
 */
export class TLSClient extends DuplexStream {
  readonly #security: ConnectionOptions;
  #session: Buffer | null = null;

  /** Throws `TypeError`/`RangeError` for invalid options. */
  constructor(options: TLSClientOptions = {}) {
    checkClientSecurity(options);
    super(undefined, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, coalesceBytes: options.coalesceBytes, readBudget: options.readBudget, errorClass: TLSError });
    this.#security = connectionOptions(options);
  }

  /**
   * Connects to `target` (`{ host, port }`, `[host, port]` or
   * `{ address, port }`), and handshakes. `sourceAddress` binds the local
   * side first (an IP literal).
   *
   * Errors: `TypeError`/`RangeError` for a malformed address; a `TLSError`
   * with `errno`/`code` when the TCP connection cannot be made; a `TLSError`
   * with a `reason` (`untrusted`, `expired`, `hostname-mismatch`,
   * `protocol-version`, `alpn`, `not-tls`, `no-client-cert`, …) and Node's
   * error as `cause` when the handshake or verification fails;
   * `signal.reason` when aborted; `EISCONN`/`EALREADY` when connected or
   * connecting already; `StreamClosedError` once closed.
   *
   * Cancel safety: any failure but the argument errors and
   * `EISCONN`/`EALREADY` closes the client.
   */
  async connect(target: AddressInput, sourceAddress?: AddressInput, options: TLSConnectOptions = {}): Promise<void> {
    const { host, port } = toHostPort(target);
    if (host === '') throw new TypeError('Cannot connect: the target has an empty host');
    if (port === 0) throw new RangeError('Cannot connect to port 0: a peer listens on a port in 1..65535');
    const local = sourceAddress === undefined ? {} : localSide(sourceAddress);
    const servername = this.#security.servername ?? (isIP(host) === 0 ? host : undefined);
    // autoSelectFamily: net's Happy Eyeballs, which tls.connect passes on (its typings lack it).
    const socketOptions: ConnectionOptions = { ...this.#security, host, port, ...local, ...{ autoSelectFamily: true } };
    if (servername !== undefined) socketOptions.servername = servername;
    await this._connectSocket(socketOptions, options.signal, formatHostPort({ host, port }), this.#connector);
  }

  /** Opens the socket with `tls.connect`, keeping every session the server offers; ready once verified. */
  readonly #connector: SocketConnector<ConnectionOptions> = {
    connect: (options) => {
      const socket = tlsConnect(options);
      // As TCPClient: TLS records of a request/response protocol must not wait for delayed ACKs.
      socket.setNoDelay(true);
      socket.on('session', (session: Buffer) => (this.#session = session));
      return socket;
    },
    readyEvent: 'secureConnect',
  };

  /** The local address (`{ address, port, family }`); throws a `TLSError` before connect or once closed. */
  get sockname(): SocketAddress {
    return socketName(this.#socket, 'local', this._errors);
  }

  /** The server's address; throws a `TLSError` before connect or once closed. */
  get peername(): SocketAddress {
    return socketName(this.#socket, 'remote', this._errors);
  }

  /** Whether the server's certificate verified (always true after a `connect` with `rejectUnauthorized`). */
  get authorized(): boolean {
    return authorizedOf(this.#socket);
  }

  /** Why the server's certificate did not verify (Node's code), or null. */
  get authorizationError(): string | null {
    return authorizationErrorOf(this.#socket);
  }

  /** The TLS version in use (`'TLSv1.3'`), or null before the handshake. */
  get protocol(): string | null {
    return protocolOf(this.#socket);
  }

  /** The cipher suite in use, or null before the handshake. */
  get cipher(): TLSCipher | null {
    return cipherOf(this.#socket);
  }

  /** The ALPN protocol agreed on, or null. */
  get alpnProtocol(): string | null {
    return alpnProtocolOf(this.#socket);
  }

  /** The server's certificate (names, fingerprint, validity), or null before the handshake. */
  get peerCertificate(): PeerCertificate | null {
    return peerCertificateOf(this.#socket);
  }

  /** Whether the handshake resumed the `session` given. */
  get sessionReused(): boolean {
    return sessionReusedOf(this.#socket);
  }

  /**
   * The latest session the server gave (TLS 1.3 sends tickets after the
   * handshake, so read it once some data came back), to pass as `session`
   * to the next client; null when none came.
   */
  get session(): Buffer | null {
    return this.#session;
  }

  /** `_connectSocket` attaches a `tls.TLSSocket`. */
  get #socket(): TLSSocket | undefined {
    return this._duplex as TLSSocket | undefined;
  }
}

/** Throws `TypeError`/`RangeError` for client TLS options that are not ones. */
function checkClientSecurity(options: TLSClientSecurity): void {
  const action = 'Cannot create the TLS client';
  checkPolicy(options, action);
  if (options.servername !== undefined && (typeof options.servername !== 'string' || options.servername === '' || isIP(options.servername) !== 0)) {
    throw new TypeError(`${action}: servername must be a DNS name, not ${JSON.stringify(options.servername)}`);
  }
  if ((options.cert === undefined) !== (options.key === undefined)) throw new TypeError(`${action}: a client certificate needs both cert and key`);
  if (options.alpnProtocols !== undefined && !isStringList(options.alpnProtocols)) throw new TypeError(`${action}: alpnProtocols must be an array of non-empty strings`);
  if (options.session !== undefined && !Buffer.isBuffer(options.session)) throw new TypeError(`${action}: session must be a Buffer (a client's session)`);
  if (options.rejectUnauthorized !== undefined && typeof options.rejectUnauthorized !== 'boolean') throw new TypeError(`${action}: rejectUnauthorized must be a boolean`);
}

/** Node's `tls.connect` options for a client's settings (only the keys given). */
function connectionOptions(options: TLSClientSecurity): ConnectionOptions {
  const result: ConnectionOptions = { ...credentialOptions(options), ...policyOptions(options), rejectUnauthorized: options.rejectUnauthorized ?? true };
  if (options.servername !== undefined) result.servername = options.servername;
  if (options.alpnProtocols !== undefined) result.ALPNProtocols = options.alpnProtocols;
  if (options.session !== undefined) result.session = options.session;
  return result;
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string' && entry !== '');
}
