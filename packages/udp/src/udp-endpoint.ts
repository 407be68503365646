import { createSocket, Socket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import {
  formatHostPort,
  StreamErrorFactory,
  toSocketAddress,
  type AddressInput,
  type DatagramSocket,
  type SocketAddress,
} from '@evergreen/stream-core';
import type { Datagram } from './datagram.js';
import { DatagramIterator } from './datagram-iterator.js';
import { DatagramQueue } from './datagram-queue.js';
import { DONE, PendingReceives } from './pending-receives.js';
import { PendingSends } from './pending-sends.js';
import { reusePortSupported } from './reuse-port.js';
import { lookupLiteralAtOnce, resolveHost, toUDPAddress } from './udp-address.js';
import { UDPError } from './udp-error.js';
import { applySocketOptions, checkSocketOptions, type UDPSocketOptions } from './udp-socket-options.js';

/** Options of a {@link UDPEndpoint}: its queue bounds and its socket options. */
export interface UDPEndpointOptions extends UDPSocketOptions {
  /**
   * Most datagrams that wait for a `receive()` before new ones are dropped
   * (integer >= 0, default `DEFAULT_MAX_QUEUED_DATAGRAMS` = 1024; 0 keeps
   * only what a waiting `receive()` takes).
   */
  maxQueuedDatagrams?: number;
  /** Most payload bytes that wait likewise (integer >= 0, default `DEFAULT_MAX_QUEUED_BYTES` = 4 MiB). */
  maxQueuedBytes?: number;
}

/** `receive()` options. */
export interface ReceiveOptions {
  /** Cancels the receive: it rejects with `signal.reason` and takes no datagram. */
  signal?: AbortSignal;
}

/**
 * How many datagrams a batch holds at most (1024) unless `maxDatagrams`
 * says otherwise: as many as the default queue bound lets wait.
 */
export const DEFAULT_MAX_BATCH_DATAGRAMS = 1024;

/** `batches()` options. */
export interface BatchOptions {
  /** Most datagrams in one batch (integer >= 1, default {@link DEFAULT_MAX_BATCH_DATAGRAMS}). */
  maxDatagrams?: number;
  /** Cancels the step waiting for its first datagram: it rejects with `signal.reason` and takes none. */
  signal?: AbortSignal;
}

/** `receiveBatch()` options: those of `batches()`, for one batch. */
export type ReceiveBatchOptions = BatchOptions;

/** Counters of one endpoint since it was created (a snapshot; counting never allocates). */
export interface UDPEndpointStats {
  /** Datagrams kept: handed to a `receive()` or queued for one. */
  received: number;
  /** Their payload bytes. */
  receivedBytes: number;
  /** Datagrams that arrived while the queue was full, and were dropped. */
  dropped: number;
  /** Their payload bytes. */
  droppedBytes: number;
  /** Datagrams waiting in the queue now. */
  queued: number;
  /** Their payload bytes. */
  queuedBytes: number;
  /** The most datagrams that ever waited at once (never above `maxQueuedDatagrams`). */
  peakQueued: number;
  /** Datagrams handed to the OS by `send()`. */
  sent: number;
  /** Their payload bytes. */
  sentBytes: number;
}

/**
 * A UDP socket with pull-style, `async` receives: `await ep.receive()` gives
 * `[data, from]`, and `from` can be passed straight back to `send()`.
 *
 * The socket is created lazily, IPv4 or IPv6 after the first address it meets:
 * the one given to `bind()`, or, when the first call is `send()`, the
 * destination (the endpoint then binds an ephemeral port on the wildcard
 * address of that family, as Node's implicit bind does). A host name resolves
 * with `dns.lookup`; its first address decides the family.
 *
 * Datagrams that arrive while no `receive()` waits are queued up to
 * `maxQueuedDatagrams` / `maxQueuedBytes`; past that they are dropped and
 * counted in `stats.dropped` — a sender faster than the reader costs at most
 * the bounds in memory.
 *
 * Errors: every failure is a {@link UDPError}; a system error's `errno`/`code`
 * (`EMSGSIZE`, `EADDRINUSE`, …) are copied from the Node error in `cause`. An
 * operation on a closed endpoint raises a `UDPError` that is also a
 * `StreamClosedError`. Wrong argument shapes are `TypeError`, out-of-range
 * values `RangeError`: thrown by the constructor and the synchronous methods,
 * rejected (never thrown) by `bind`, `send` and `receive`. A send that
 * `close()` cuts short rejects, but that rejection is marked handled, so
 * `void ep.send(…); ep.close()` is safe.
 *
 * Cancel safety: an aborted `receive()` takes nothing; the next datagram goes
 * to the next receive or the queue.
 *
 * Cost: a receive when a datagram is queued is a ring-buffer shift and one
 * resolved promise; a datagram that finds a receive waiting is handed over
 * without touching the queue. Each send is one promise and one callback.
 */
export class UDPEndpoint implements DatagramSocket {
  readonly #options: UDPSocketOptions;
  readonly #errors = StreamErrorFactory.for(UDPError);
  readonly #queue: DatagramQueue;
  readonly #receives = new PendingReceives();
  readonly #sends = new PendingSends();
  #socket: Socket | undefined;
  #binding: Promise<Socket> | undefined;
  /** The socket is the caller's (`attach`): closing the endpoint leaves it open. */
  #attached = false;
  #closed = false;
  /** A socket error no receive was waiting for; the next receive rejects with it. */
  #error: UDPError | undefined;
  #received = 0;
  #receivedBytes = 0;
  #sent = 0;
  #sentBytes = 0;
  /** One executor for every send's promise (no closure per send); `send()` takes the functions at once. */
  #resolveSend: (() => void) | undefined;
  #rejectSend: ((reason: unknown) => void) | undefined;
  readonly #captureSend = (resolve: () => void, reject: (reason: unknown) => void): void => {
    this.#resolveSend = resolve;
    this.#rejectSend = reject;
  };

  /** Throws `TypeError`/`RangeError` for a malformed option; creates no socket yet. */
  constructor(options: UDPEndpointOptions = {}) {
    const { maxQueuedDatagrams, maxQueuedBytes, ...socketOptions } = options;
    checkSocketOptions(socketOptions);
    this.#options = socketOptions;
    this.#queue = new DatagramQueue({ maxDatagrams: maxQueuedDatagrams, maxBytes: maxQueuedBytes });
  }

  /** True once `close()` ran; every operation then rejects/throws a closed `UDPError`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The bound address. Throws `UDPError` `EINVAL` when not bound yet, a closed `UDPError` once closed. */
  get sockname(): SocketAddress {
    return this.#withSocket('Cannot read sockname', (socket) => toSocketAddress(socket.address()));
  }

  /** `SO_RCVBUF` as the kernel reports it (Linux doubles what was asked). Throws `UDPError` `EINVAL` when not bound, a closed one once closed. */
  get recvBufferSize(): number {
    return this.#withSocket('Cannot read recvBufferSize', (socket) => socket.getRecvBufferSize());
  }

  /** `SO_SNDBUF` as the kernel reports it. Throws `UDPError` `EINVAL` when not bound, a closed one once closed. */
  get sendBufferSize(): number {
    return this.#withSocket('Cannot read sendBufferSize', (socket) => socket.getSendBufferSize());
  }

  /** A snapshot of the counters. */
  get stats(): UDPEndpointStats {
    const queue = this.#queue;
    return {
      received: this.#received,
      receivedBytes: this.#receivedBytes,
      dropped: queue.dropped,
      droppedBytes: queue.droppedBytes,
      queued: queue.length,
      queuedBytes: queue.bytes,
      peakQueued: queue.peak,
      sent: this.#sent,
      sentBytes: this.#sentBytes,
    };
  }

  /**
   * Creates the socket and binds it to `address` (`port: 0` picks a free
   * port; read it back from `sockname`). A host name resolves first; its first
   * address decides IPv4 or IPv6.
   *
   * Errors: `UDPError` with the system `code` (`EADDRINUSE`, `EADDRNOTAVAIL`,
   * `ENOTFOUND`…) — the endpoint stays unbound and may bind again; `UDPError`
   * `ENOTSUP` for `reusePort` where {@link reusePortSupported} is false
   * (likewise for a first `send()`); `UDPError` `EINVAL` when already bound (also implicitly, by a first `send()`); a closed
   * `UDPError` after `close()`.
   */
  async bind(address: AddressInput): Promise<void> {
    const { host, port } = toUDPAddress(address);
    const action = `Cannot bind ${formatHostPort({ host, port })}`;
    if (this.#closed) throw this.#closedError(action);
    if (this.#binding !== undefined) throw this.#errors.withCode(action, 'EINVAL', 'the endpoint is already bound');
    await this.#open(action, host, port, false);
  }

  /**
   * Receives and sends on `socket`, a bound `dgram.Socket` the caller owns —
   * typically one adopted from a descriptor systemd passed in
   * (`socket.bind({ fd })`), which could never be had again once closed. The
   * endpoint's socket options are applied to it. `close()` stops taking its
   * datagrams and leaves it open, for the caller to close or to hand to
   * another endpoint; while none is attached, what arrives is the owner's.
   *
   * Throws `TypeError` when `socket` is not a bound `dgram.Socket`, a
   * `UDPError` `EINVAL` when the endpoint is bound, a closed `UDPError` once
   * closed, and a `UDPError` when the OS refuses an option. Cost: two event listeners.
   */
  attach(socket: Socket): void {
    const action = 'Cannot attach the endpoint';
    if (!(socket instanceof Socket) || !isBound(socket)) throw new TypeError(`${action}: expected a bound dgram.Socket`);
    if (this.#closed) throw this.#closedError(action);
    if (this.#binding !== undefined) throw this.#errors.withCode(action, 'EINVAL', 'the endpoint is already bound');
    try {
      applySocketOptions(socket, this.#options);
    } catch (err) {
      throw this.#errors.system(action, err);
    }
    this.#attached = true;
    socket.on('message', this.#onMessage).on('error', this.#onError);
    this.#socket = socket;
    this.#binding = Promise.resolve(socket);
  }

  /**
   * Sends one datagram to `to` and resolves when the OS took it (delivery is
   * not acknowledged: this is UDP). The first send of an unbound endpoint
   * binds it first (see the class).
   *
   * Errors: `UDPError` `EMSGSIZE` for a datagram larger than the protocol
   * allows (65507 bytes of payload over IPv4); `UDPError` with the resolver's
   * code for a name that does not resolve; a closed `UDPError` after
   * `close()`, also for a send still in progress when `close()` ran;
   * `TypeError` for data that is not a string or `Uint8Array` or a malformed
   * address.
   *
   * Cost: no copy of a `Uint8Array`; a string is encoded as UTF-8 once.
   */
  send(data: string | Uint8Array, to: AddressInput): Promise<void> {
    let host: string;
    let port: number;
    try {
      ({ host, port } = toUDPAddress(to));
    } catch (err) {
      return Promise.reject(err);
    }
    const socket = this.#socket;
    if (this.#closed) return Promise.reject(this.#closedError(`Cannot send to ${formatHostPort({ host, port })}`));
    const promise = new Promise<void>(this.#captureSend);
    const resolve = this.#resolveSend as () => void;
    const reject = this.#rejectSend as (reason: unknown) => void;
    const slot = this.#sends.add(promise, reject);
    if (socket !== undefined) this.#sendOn(socket, data, host, port, slot, resolve);
    else void this.#sendFirst(data, host, port, slot, resolve);
    return promise;
  }

  /**
   * The next datagram and its sender, in arrival order: one already queued at
   * once, else the next to arrive. Concurrent receives are served in call
   * order.
   *
   * Errors: a closed `UDPError` after `close()`, and for a receive still
   * waiting when `close()` runs; `signal.reason` when aborted (nothing is
   * taken); a `UDPError` for an error the socket reported (then the endpoint
   * goes on receiving); `TypeError` for a `signal` that is not an
   * `AbortSignal`.
   */
  receive(options?: ReceiveOptions): Promise<Datagram> {
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(new TypeError('Cannot receive: expected signal to be an AbortSignal'));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#closedError('Cannot receive'));
    const datagram = this.#queue.shift();
    if (datagram !== undefined) return Promise.resolve(datagram);
    if (this.#error !== undefined) return Promise.reject(this.#takeError());
    return this.#receives.wait(signal);
  }

  /**
   * The batch form of `receive()`: every datagram already queued, oldest
   * first, at most `maxDatagrams` — so a flood costs one await per batch
   * instead of one per datagram. When none is queued it waits for the next
   * one, and resolves at the end of that turn of the event loop with every
   * datagram that arrived in it (up to `maxDatagrams`): Node hands datagrams
   * over one by one, and a batch resolved at once would hold one. A batch
   * holds at least one datagram, each with its own sender. Batch receives
   * and `receive()`s waiting together are served in call order.
   *
   * Errors: as `receive()`'s. Aborting rejects with `signal.reason` and takes
   * nothing, until the first datagram came: the batch is then complete, and
   * a later abort does nothing. `close()` rejects a batch that has not
   * resolved yet, and discards the datagrams it held, as it discards the
   * queued ones. A socket error first resolves a batch holding datagrams,
   * then fails the receives still waiting. `RangeError`/`TypeError` for a
   * `maxDatagrams` that is not an integer >= 1.
   *
   * Cost: one promise and one array per batch; one `setImmediate` per turn
   * in which a waiting batch filled.
   */
  receiveBatch(options?: ReceiveBatchOptions): Promise<Datagram[]> {
    let max: number;
    try {
      max = maxDatagramsOf('Cannot receive a batch', options);
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closed) return Promise.reject(this.#closedError('Cannot receive'));
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.take(max));
    if (this.#error !== undefined) return Promise.reject(this.#takeError());
    return this.#receives.waitBatch(max, signal);
  }

  /**
   * Iterates batches of datagrams, one `receiveBatch(options)` per step, the
   * datagram twin of stream-core's `records()`: `for await (const batch of
   * ep.batches()) for (const [data, from] of batch) …`. The loop ends when the
   * endpoint is closed (a batch not yet resolved is then discarded); other
   * errors end it by throwing. Leaving the loop early ends the iteration
   * only, not the endpoint.
   *
   * Throws `TypeError`/`RangeError` for malformed options.
   */
  batches(options?: BatchOptions): AsyncIterableIterator<Datagram[]> {
    const max = maxDatagramsOf('Cannot iterate batches', options);
    const signal = options?.signal;
    return new DatagramIterator<Datagram[]>((owner) => this.#nextBatch(owner, max, signal), this.#endSteps);
  }

  /**
   * Joins the multicast group `group` (on `interfaceAddress`, default: the
   * OS's choice). Needs a bound endpoint. Throws `UDPError` (`EINVAL` for an
   * address that is not multicast or an endpoint not bound, `EADDRINUSE` when
   * already a member; a closed one once closed).
   */
  addMembership(group: string, interfaceAddress?: string): void {
    this.#withSocket(`Cannot join multicast group ${group}`, (socket) => socket.addMembership(group, interfaceAddress));
  }

  /** Leaves a group joined with `addMembership`. Throws `UDPError` (`EADDRNOTAVAIL` when not a member). */
  dropMembership(group: string, interfaceAddress?: string): void {
    this.#withSocket(`Cannot leave multicast group ${group}`, (socket) => socket.dropMembership(group, interfaceAddress));
  }

  /**
   * Closes the socket at once. Queued datagrams are discarded; waiting
   * receives and unfinished sends reject with a closed `UDPError`. Calling it
   * again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    this.#receives.failAll(this.#closedError('Cannot receive'));
    this.#sends.failAll(this.#closedError('Cannot send'));
    if (!this.#attached) this.#socket?.close();
    else this.#socket?.off('message', this.#onMessage).off('error', this.#onError);
  }

  /**
   * Iterates `[data, from]` for every datagram until the endpoint is closed
   * (then it ends; it does not throw). Leaving the loop early does not close
   * the endpoint: it keeps queueing for later receives.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Datagram> {
    return new DatagramIterator(this.#nextResult, this.#endSteps);
  }

  /** Closes the endpoint (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** `receive()` in iterator form: `{ value: datagram }`, or `DONE` once closed. */
  readonly #nextResult = (owner: object): Promise<IteratorResult<Datagram, undefined>> => {
    if (this.#closed) return Promise.resolve(DONE);
    const datagram = this.#queue.shift();
    if (datagram !== undefined) return Promise.resolve({ value: datagram, done: false });
    if (this.#error !== undefined) return Promise.reject(this.#takeError());
    return this.#receives.next(owner);
  };

  /** `receiveBatch()` in iterator form: `{ value: batch }`, or `DONE` once closed. */
  #nextBatch(owner: object, max: number, signal: AbortSignal | undefined): Promise<IteratorResult<Datagram[], undefined>> {
    if (this.#closed) return Promise.resolve(DONE);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.take(max), done: false });
    if (this.#error !== undefined) return Promise.reject(this.#takeError());
    return this.#receives.nextBatch(owner, max, signal);
  }

  /** An iterator's `return()`: its waiting steps end (`DONE`) and take no datagram. */
  readonly #endSteps = (owner: object): void => this.#receives.endSteps(owner);

  /** The `UDPError` (also a `StreamClosedError`) for `action` on a closed endpoint. */
  #closedError(action: string): UDPError {
    return this.#errors.closed(action, undefined, 'the endpoint');
  }

  /** The socket error no receive was waiting for, handed to one receive only. */
  #takeError(): UDPError | undefined {
    const error = this.#error;
    this.#error = undefined;
    return error;
  }

  /** Binds the endpoint for the first send, then sends; a failure rejects the send in `slot`. */
  async #sendFirst(data: string | Uint8Array, host: string, port: number, slot: number, resolve: () => void): Promise<void> {
    const action = `Cannot send to ${formatHostPort({ host, port })}`;
    let socket: Socket;
    try {
      socket = await (this.#binding ?? this.#open(action, host, 0, true));
    } catch (err) {
      this.#sends.settle(slot, err);
      return;
    }
    // A close() meanwhile has rejected the send already.
    if (!this.#closed) this.#sendOn(socket, data, host, port, slot, resolve);
  }

  /** Hands the datagram to Node; its callback settles the send in `slot`. */
  #sendOn(socket: Socket, data: string | Uint8Array, host: string, port: number, slot: number, resolve: () => void): void {
    try {
      socket.send(data, port, host, (err, bytes) => {
        if (err) {
          this.#sends.settle(slot, this.#errors.system(`Cannot send to ${formatHostPort({ host, port })}`, err));
          return;
        }
        if (!this.#sends.settle(slot)) return;
        this.#sent++;
        this.#sentBytes += bytes;
        resolve();
      });
    } catch (err) {
      // Node's own argument checks (data that is not bytes or a string: TypeError).
      this.#sends.settle(slot, err);
    }
  }

  /**
   * Creates and binds the socket for the family `host` resolves to, on that
   * address (or on the family's wildcard address when `wildcard`). Marks the
   * endpoint as binding at once, so concurrent sends wait for this socket; a
   * failed bind unmarks it.
   */
  #open(action: string, host: string, port: number, wildcard: boolean): Promise<Socket> {
    const binding = this.#createSocket(action, host, port, wildcard);
    this.#binding = binding;
    binding.catch(() => {
      if (this.#binding === binding) this.#binding = undefined;
    });
    return binding;
  }

  async #createSocket(action: string, host: string, port: number, wildcard: boolean): Promise<Socket> {
    const { reuseAddr, reusePort, ipv6Only } = this.#options;
    // Node 20 would ignore the option and bind a socket that shares nothing.
    if (reusePort === true && !reusePortSupported()) throw this.#errors.withCode(action, 'ENOTSUP', `reusePort needs Node >= 22.12 on Linux, FreeBSD, Solaris or AIX (this is Node ${process.versions.node} on ${process.platform})`);
    const resolved = await resolveHost(host).catch((err: unknown) => {
      throw this.#errors.system(action, err);
    });
    if (this.#closed) throw this.#closedError(action);
    const type = resolved.family === 6 ? 'udp6' : 'udp4';
    // Spread: Node 20's typings have no reusePort. With it, a cluster worker binds its own socket (not the primary's).
    const socket = createSocket({ type, reuseAddr, ipv6Only, lookup: lookupLiteralAtOnce, ...(reusePort === true && { reusePort }) });
    try {
      // Listen first: with a literal address the lookup answers at once and
      // Node may emit 'listening' (or 'error') inside bind().
      const listening = once(socket, 'listening');
      socket.bind(port, wildcard ? undefined : resolved.address);
      await listening;
      applySocketOptions(socket, this.#options);
    } catch (err) {
      socket.close();
      throw this.#errors.system(action, err);
    }
    if (this.#closed) {
      socket.close();
      throw this.#closedError(action);
    }
    socket.on('message', this.#onMessage).on('error', this.#onError);
    this.#socket = socket;
    return socket;
  }

  /** Runs `use` on the bound socket, turning a system error into a `UDPError`. */
  #withSocket<T>(action: string, use: (socket: Socket) => T): T {
    if (this.#closed) throw this.#closedError(action);
    const socket = this.#socket;
    if (socket === undefined) throw this.#errors.withCode(action, 'EINVAL', 'the endpoint is not bound');
    try {
      return use(socket);
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw err;
      throw this.#errors.system(action, err);
    }
  }

  /** The hot path: hand the datagram to a waiting receive, else queue it (or drop and count it). */
  readonly #onMessage = (data: Buffer, info: RemoteInfo): void => {
    if (this.#receives.length > 0) this.#receives.deliver([data, senderOf(info)]);
    else if (!this.#queue.push(data, senderOf(info))) return;
    this.#received++;
    this.#receivedBytes += data.length;
  };

  /** Errors Node reports after bind (a failed recvmsg): they fail the waiting receives, or the next one. */
  readonly #onError = (err: Error): void => {
    const error = this.#errors.system('Cannot receive', err);
    // What arrived before the error is handed out before it.
    this.#receives.settleBatches();
    if (this.#receives.length > 0) this.#receives.failAll(error);
    else this.#error = error;
  };
}

/** `options.maxDatagrams` checked (default {@link DEFAULT_MAX_BATCH_DATAGRAMS}); also checks `options.signal`'s type. */
function maxDatagramsOf(action: string, options: BatchOptions | undefined): number {
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`${action}: expected signal to be an AbortSignal`);
  const max = options?.maxDatagrams;
  if (max === undefined) return DEFAULT_MAX_BATCH_DATAGRAMS;
  if (typeof max !== 'number') throw new TypeError(`${action}: expected maxDatagrams to be a number, got ${typeof max}`);
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`${action}: maxDatagrams ${max} is not an integer >= 1`);
  return max;
}

/** The sender in the `sockname` shape (Node's `rinfo` also carries `size`). */
function senderOf(info: RemoteInfo): SocketAddress {
  return { address: info.address, port: info.port, family: info.family };
}

/** Whether `socket` is bound (dgram has no property for it: `address()` throws until it is). */
function isBound(socket: Socket): boolean {
  try {
    socket.address();
    return true;
  } catch {
    return false;
  }
}
