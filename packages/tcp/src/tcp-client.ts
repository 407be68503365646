import type { Socket } from 'node:net';
import { formatHostPort, DuplexStream, localSide, socketName, toHostPort, type AddressInput, type BaseStreamOptions, type SocketAddress } from '@evergreen/stream-core';
import { TCPError } from './tcp-error.js';
import { toNetSocketOptions, type NetSocketOptions, type TCPSocketOptions } from './socket-options.js';

/** Limits and socket options of a client. */
export interface TCPClientOptions extends Omit<BaseStreamOptions, 'errorClass'>, TCPSocketOptions {}

/** `connect` options. */
export interface TCPConnectOptions {
  /**
   * Cancels the connect (`AbortSignal.timeout(ms)` bounds it): it rejects
   * with `signal.reason` and the client is closed.
   */
  signal?: AbortSignal;
}

/**
 * A TCP client stream: create it, `connect()`, then read and write.
 *
 * Writes made before `connect()` resolves are buffered and sent on connect.
 * A connect that fails or is aborted closes the client (as Node destroys its
 * socket); make a new client to try again.
 *
 * Errors: every error it raises is a `TCPError` (and of its kind:
 * `StreamClosedError`, `IncompleteReadError`, `LimitExceededError`).
 * Cost: one `net.Socket`; reads are zero-copy inside one received chunk.
 */
export class TCPClient extends DuplexStream {
  readonly #socketOptions: NetSocketOptions;

  /** Throws `TypeError`/`RangeError` for invalid options. */
  constructor(options: TCPClientOptions = {}) {
    const socketOptions = toNetSocketOptions(options);
    super(undefined, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, coalesceBytes: options.coalesceBytes, readBudget: options.readBudget, errorClass: TCPError, resettable: true });
    this.#socketOptions = socketOptions;
  }

  /**
   * Connects to `target` (`{ host, port }`, `[host, port]` or
   * `{ address, port }`). A name is resolved to every address it has and
   * they are tried in turn, IPv6 and IPv4 interleaved (Happy Eyeballs, Node's
   * `autoSelectFamily`). `sourceAddress` binds the local side first (an IP
   * literal; port 0 picks any).
   *
   * Errors: `TypeError`/`RangeError` for a malformed address; a `TCPError`
   * with `errno`/`code` (`ECONNREFUSED`, `ENOTFOUND`, `EADDRNOTAVAIL`, …) and
   * the Node error as `cause` when the connection cannot be made;
   * `signal.reason` when aborted; a `TCPError` `EISCONN`/`EALREADY` when the
   * client is connected or connecting already; `StreamClosedError` once closed.
   *
   * Cancel safety: a connect that fails or is aborted closes the client (its
   * socket is destroyed, buffered writes are dropped); argument errors and
   * `EISCONN`/`EALREADY` leave the client as it was.
   */
  async connect(target: AddressInput, sourceAddress?: AddressInput, options: TCPConnectOptions = {}): Promise<void> {
    const { host, port } = toHostPort(target);
    if (host === '') throw new TypeError('Cannot connect: the target has an empty host');
    if (port === 0) throw new RangeError('Cannot connect to port 0: a peer listens on a port in 1..65535');
    const local = sourceAddress === undefined ? {} : localSide(sourceAddress);
    const socketOptions = { host, port, ...local, autoSelectFamily: true, ...this.#socketOptions };
    await this._connectSocket(socketOptions, options.signal, formatHostPort({ host, port }));
  }

  /** The local address (`{ address, port, family }`); throws a `TCPError` before connect or once closed. */
  get sockname(): SocketAddress {
    return socketName(this.#socket, 'local', this._errors);
  }

  /** The peer's address (`{ address, port, family }`); throws a `TCPError` before connect or once closed. */
  get peername(): SocketAddress {
    return socketName(this.#socket, 'remote', this._errors);
  }

  /** `_connectSocket` attaches a `net.Socket`. */
  get #socket(): Socket | undefined {
    return this._duplex as Socket | undefined;
  }
}
