import { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { StreamConnection, socketName, type BaseStreamOptions, type SocketAddress } from '@evergreen/stream-core';
import { TLSError } from './tls-error.js';
import { peerCertificateOf, type PeerCertificate } from './peer-certificate.js';
import { alpnProtocolOf, authorizationErrorOf, authorizedOf, cipherOf, protocolOf, sessionReusedOf, type TLSCipher } from './tls-facts.js';
import type { TLSServer } from './tls-server.js';

/** Limits of an accepted connection (a `TLSServer` passes its own). */
export interface TLSConnectionOptions extends Omit<BaseStreamOptions, 'errorClass'> {}

/**
 * A TLS connection accepted by a `TLSServer`, handed to the handler only
 * once its handshake and the server's client-certificate checks passed: a
 * full `BaseStream` over the `tls.TLSSocket`, whose errors are `TLSError`s,
 * with the facts of the session.
 *
 * Cost: reads go through shared memory (Node's `onread`), as a client's
 * do — the bytes a client sent right behind its handshake, which wait in
 * the socket at hand-over, first (each in the Buffer Node read it into).
 */
export class TLSConnection extends StreamConnection {
  constructor(socket: TLSSocket, options: TLSConnectionOptions = {}) {
    super(socket, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, coalesceBytes: options.coalesceBytes, readBudget: options.readBudget, errorClass: TLSError, readIntoMemory: true });
  }

  /**
   * `reset()` resets the TCP connection beneath the TLS one (RST), so the
   * client's reads fail with `ECONNRESET` instead of ending: TLS itself has
   * no abort, and Node's `resetAndDestroy` refuses a TLS socket. The
   * accepted socket is the TLS socket's parent (Node's `_parent`); without
   * one the connection closes as `close()` does.
   */
  protected override _abort(): void {
    const accepted = (this.#socket as TLSSocket & { _parent?: unknown })._parent;
    if (accepted instanceof Socket && !accepted.destroyed) accepted.resetAndDestroy();
    super._abort();
  }

  /** The accepted socket. */
  get #socket(): TLSSocket {
    return this._duplex as TLSSocket;
  }

  /** The server that accepted this connection, or `null` once closed. */
  override get server(): TLSServer | null {
    return super.server as TLSServer | null;
  }

  /** The local address (`{ address, port, family }`); throws a `TLSError` once closed. */
  get sockname(): SocketAddress {
    return socketName(this.#socket, 'local', this._errors);
  }

  /** The client's address; throws a `TLSError` once closed. */
  get peername(): SocketAddress {
    return socketName(this.#socket, 'remote', this._errors);
  }

  /** Whether the client presented a certificate that verified (false with `clientAuth: 'none'`, or none presented). */
  get authorized(): boolean {
    return authorizedOf(this.#socket);
  }

  /** Why the client's certificate did not verify (Node's code), or null. Never set on a connection a `'require'` server let through. */
  get authorizationError(): string | null {
    return authorizationErrorOf(this.#socket);
  }

  /** The client's certificate (names, fingerprint, validity), or null when it sent none. */
  get peerCertificate(): PeerCertificate | null {
    return peerCertificateOf(this.#socket);
  }

  /** The ALPN protocol agreed on, or null. */
  get alpnProtocol(): string | null {
    return alpnProtocolOf(this.#socket);
  }

  /** The name the client asked for (SNI), or null when it sent none. */
  get servername(): string | null {
    const name = this.#socket.servername;
    return typeof name === 'string' && name !== '' ? name : null;
  }

  /** The TLS version in use (`'TLSv1.3'`). */
  get protocol(): string | null {
    return protocolOf(this.#socket);
  }

  /** The cipher suite in use. */
  get cipher(): TLSCipher | null {
    return cipherOf(this.#socket);
  }

  /** Whether the client resumed a session (a ticket) instead of a full handshake. */
  get sessionReused(): boolean {
    return sessionReusedOf(this.#socket);
  }
}
