import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PipeConnection } from '@evergreen/pipe';
import type { ControlLevel } from '../../protocol/control-level.js';
import { CLOSE_FLUSH_TIMEOUT_MS, CONTROL_HIGH_WATER_MARK_BYTES, MAX_OUTSTANDING_REQUESTS, SUBSCRIBER_QUEUE_EVENTS } from '../../protocol/limits.js';
import { checkMessage, isInvalidMessage, type RpcRequest } from '../../protocol/message.js';
import { MessageDecoder } from '../../protocol/message-decoder.js';
import { encodeNotification, encodeResponse } from '../../protocol/message-encoder.js';
import { RpcError, RpcErrorCode } from '../../protocol/rpc-error.js';
import type { ControlLog } from './control-log.js';
import { lingerAndClose } from './linger-and-close.js';
import { SubscriberQueue } from './subscriber-queue.js';

/** Bytes asked of the socket per read: a chunk as the kernel hands it, at most 64 KiB. */
const READ_CHUNK_BYTES = 64 * 1024;
/**
 * Requests one connection starts in a row before it lets the event loop
 * serve others (4): a client pipelining hundreds of calls gets through them
 * a few per turn, between the other connections' turns — the servers'
 * relays among them — instead of holding the loop until all are answered.
 */
const REQUESTS_PER_TURN = 4;

/** Answers one request: resolves its result, or rejects (an `RpcError` is sent as is). */
export type RequestDispatcher = (request: RpcRequest, session: ControlSession) => Promise<unknown>;

/** The timeouts of a session. */
export interface SessionTimeouts {
  /** How long written bytes may wait to go out before the connection is closed. */
  readonly stallTimeoutMs: number;
  /** How long the session may be idle (nothing in progress, not subscribed) before it is closed; 0: never. */
  readonly idleTimeoutMs: number;
}

/** What a session is: its timeouts, and the level of the socket it came in on. */
export interface SessionOptions extends SessionTimeouts {
  /** What the socket's clients may call (see protocol/control-level.ts). */
  readonly level: ControlLevel;
}

/**
 * One control connection: reads requests, has them handled concurrently
 * and writes each response as soon as it is ready (out of order), holds the
 * connection's subscriptions. A handler gets it as its second argument.
 *
 * Limits: at most `MAX_OUTSTANDING_REQUESTS` requests are handled at once;
 * past that, and while its replies are not reaching the peer, it reads
 * nothing more from the socket (the peer's writes then back up). Replies
 * or events that wait longer than the stall timeout to go out close the
 * connection: a peer that never reads cannot keep its slot.
 * A decode error or a message whose msgid cannot be read gets an `error`
 * notification, and the connection is closed (once the peer has had up to
 * `CLOSE_FLUSH_TIMEOUT_MS` to read it). After `finish` (the server is
 * closing) it reads nothing more and ends once the requests in progress are
 * answered.
 * While requests are in progress, the replies and events ready in the
 * same tick go out in one write (up to 64 KiB at a time): pipelined
 * requests cost a syscall per batch, not one per reply. The last reply of
 * a batch, a lone request's reply and an event with nothing in progress
 * are written at once.
 * A session with no request in progress and no subscription is idle from
 * its last request or reply on: after `idleTimeoutMs` of that it is sent an
 * `error` notification (-32003) and closed, and the server may close the
 * one idle longest at once (`evict`) to admit a new client.
 * Cost: one decoder, one subscriber queue (empty unless subscribed), the
 * current tick's outgoing messages, one idle timer.
 */
export class ControlSession {
  static #nextId = 1;

  /** A number unique among this process's sessions (for logs). */
  readonly id = ControlSession.#nextId++;
  /** The level of the socket this session came in on: what it may call. */
  readonly level: ControlLevel;
  readonly #conn: PipeConnection;
  readonly #dispatch: RequestDispatcher;
  readonly #log: ControlLog;
  readonly #stallTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  /** When the last request came or the last reply went (ms since the epoch). */
  #lastActive = Date.now();
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #decoder = new MessageDecoder();
  readonly #topics = new Set<string>();
  readonly #events: SubscriberQueue;
  #outstanding = 0;
  #slotFreed: (() => void) | undefined;
  #congested = false;
  #ended = false;
  /** Aborted by `finish` or a close for idleness: the read under way, and any after it, stop. */
  readonly #finishing = new AbortController();
  /** Messages sent this tick, written together when it ends (or once they reach 64 KiB). */
  #batch: Buffer[] = [];
  #batchBytes = 0;
  /** The flush being watched for a stall, from the first write the connection had to buffer until it goes out. */
  #stall: Promise<void> | undefined;

  constructor(conn: PipeConnection, dispatch: RequestDispatcher, log: ControlLog, options: SessionOptions) {
    this.#conn = conn;
    this.level = options.level;
    this.#dispatch = dispatch;
    this.#log = log;
    this.#stallTimeoutMs = options.stallTimeoutMs;
    this.#idleTimeoutMs = options.idleTimeoutMs;
    this.#events = new SubscriberQueue(SUBSCRIBER_QUEUE_EVENTS, {
      send: (bytes) => this.#send(bytes),
      flush: () => {
        this.#writeBatch();
        return this.#drained();
      },
      overflowed: (count) => this.#log.warn({ session: this.id, count }, 'Dropping events: a subscriber is not reading'),
      stalled: (count) => {
        this.#log.warn({ session: this.id, count }, 'Closing a control connection: a subscriber still is not reading');
        this.#conn.close();
      },
    });
  }

  /** The topics this session is subscribed to. */
  get topics(): ReadonlySet<string> {
    return this.#topics;
  }

  /** True once the session is over (its replies are dropped). */
  get closed(): boolean {
    return this.#ended || this.#conn.closed;
  }

  /** Adds `topics` to the subscriptions (names are the server's to check). */
  subscribe(topics: Iterable<string>): void {
    for (const topic of topics) this.#topics.add(topic);
  }

  /** Removes `topics` from the subscriptions, or all of them when `undefined`. */
  unsubscribe(topics?: Iterable<string>): void {
    if (topics === undefined) this.#topics.clear();
    else for (const topic of topics) this.#topics.delete(topic);
  }

  /** Internal (server): takes no more requests; `run` resolves once those in progress are answered. */
  finish(): void {
    this.#finishing.abort();
  }

  /**
   * Since when the session has been idle (ms since the epoch): no request in
   * progress, no subscription, open. `undefined` when it is not idle.
   */
  get idleSince(): number | undefined {
    return this.#outstanding > 0 || this.#topics.size > 0 || this.closed ? undefined : this.#lastActive;
  }

  /** Internal (server): closes an idle session, telling the peer why with an `error` notification (-32003). */
  evict(reason: string): void {
    if (this.closed) return;
    this.#send(encodeNotification('error', [{ code: RpcErrorCode.BUSY, message: `Closing the control connection: ${reason}` }]));
    this.#writeBatch();
    this.#ended = true;
    this.#finishing.abort();
  }

  /** Internal (server): queues an encoded event for this subscriber. */
  deliver(event: Buffer): void {
    if (!this.closed) this.#events.push(event);
  }

  /**
   * Internal (server): serves the connection until the peer ends it (then
   * answers what is outstanding), a protocol error ends it, or it is closed.
   * Never rejects.
   */
  async run(): Promise<void> {
    this.#watchIdle(this.#idleTimeoutMs);
    try {
      await this.#serve();
      this.#writeBatch();
      if (this.#ended) await lingerAndClose(this.#conn, CLOSE_FLUSH_TIMEOUT_MS);
    } catch (error) {
      if (!this.#conn.closed) this.#log.debug({ session: this.id, err: error }, 'Control connection failed');
    } finally {
      clearTimeout(this.#idleTimer);
      this.#ended = true;
      this.#topics.clear();
      this.#events.close();
    }
  }

  /**
   * Looks in `ms` whether the session has been idle `idleTimeoutMs`: then it
   * is closed; else it looks again when it could be. One timer, never reset
   * by traffic (a busy session costs nothing per request).
   */
  #watchIdle(ms: number): void {
    if (this.#idleTimeoutMs === 0) return;
    this.#idleTimer = setTimeout(() => {
      const since = this.idleSince;
      if (since === undefined) return this.#watchIdle(this.#idleTimeoutMs);
      const left = since + this.#idleTimeoutMs - Date.now();
      if (left > 0) return this.#watchIdle(left);
      this.#log.debug({ session: this.id, idleTimeoutMs: this.#idleTimeoutMs }, 'Closing an idle control connection');
      this.evict(`idle for ${this.#idleTimeoutMs} ms (control.idleTimeoutMs)`);
    }, ms);
    this.#idleTimer.unref();
  }

  async #serve(): Promise<void> {
    let started = 0;
    for (;;) {
      // Closed while waiting (server close, a stalled subscriber): start nothing more.
      if (this.#conn.closed) return;
      // Replies not reaching the peer: take no more work until they do.
      if (this.#congested) {
        this.#writeBatch();
        // The watch #writeBatch started clears the congestion.
        await this.#drained();
      } else if (this.#outstanding >= MAX_OUTSTANDING_REQUESTS) {
        await this.#slot();
      } else {
        if (this.#finishing.signal.aborted) break;
        const message = this.#nextMessage();
        if (message === false) return;
        if (message !== undefined) {
          if (!this.#handle(message)) return;
          if (++started === REQUESTS_PER_TURN) {
            started = 0;
            await nextTurn();
          }
          continue;
        }
        started = 0;
        const chunk = await this.#read();
        if (chunk === undefined || chunk.length === 0) break;
        this.#decoder.push(chunk);
      }
    }
    // The peer ended its side, or the server is closing: the replies awaited are still sent.
    while (this.#outstanding > 0) await this.#slot();
  }

  /** The next bytes from the peer (empty at its end), or `undefined` once `finish` was called. */
  async #read(): Promise<Buffer | undefined> {
    try {
      return await this.#conn.readBytes(READ_CHUNK_BYTES, { partial: true, signal: this.#finishing.signal });
    } catch (error) {
      if (this.#finishing.signal.aborted) return undefined;
      throw error;
    }
  }

  /**
   * Resolves once everything written has gone out to the OS; rejects when
   * the connection closes first. Closes it when that takes longer than the
   * stall timeout: the peer is not reading. One watch at a time, shared by
   * the serve loop, the subscriber queue and the write that started it.
   */
  #drained(): Promise<void> {
    return (this.#stall ??= this.#watchStall().finally(() => (this.#stall = undefined)));
  }

  /** One flush raced against the stall timeout (see `#drained`). */
  #watchStall(): Promise<void> {
    const timer = setTimeout(() => {
      this.#log.warn({ session: this.id, timeoutMs: this.#stallTimeoutMs }, 'Closing a control connection: it has not read what it was sent');
      this.#conn.close();
    }, this.#stallTimeoutMs);
    return this.#conn.flush().finally(() => clearTimeout(timer));
  }

  /** Resolves when a request is answered. */
  #slot(): Promise<void> {
    return new Promise<void>((resolve) => (this.#slotFreed = resolve));
  }

  /** The next buffered message, `undefined` when none is complete, false after a decode error (the session is over). */
  #nextMessage(): unknown[] | undefined | false {
    try {
      return this.#decoder.next();
    } catch (error) {
      return this.#fail(error as RpcError);
    }
  }

  #handle(value: unknown[]): boolean {
    this.#lastActive = Date.now();
    const message = checkMessage(value);
    if (isInvalidMessage(message)) {
      if (message.msgid === undefined) return this.#fail(message.error);
      this.#send(encodeResponse(message.msgid, message.error.toObject(), null));
      return true;
    }
    switch (message.type) {
      case 0:
        this.#outstanding++;
        void this.#answer(message);
        return true;
      case 1:
        return this.#fail(new RpcError(RpcErrorCode.INVALID_REQUEST, 'Cannot read the message: the daemon sends no requests, so it takes no responses'));
      default:
        // No client notification is defined; MessagePack-RPC sends nothing back for one.
        this.#log.debug({ session: this.id, method: message.method }, 'Ignoring a notification from a control client');
        return true;
    }
  }

  async #answer(request: RpcRequest): Promise<void> {
    let reply: Buffer;
    try {
      const result = await this.#dispatch(request, this);
      reply = encodeResponse(request.msgid, null, result);
    } catch (error) {
      reply = encodeResponse(request.msgid, this.#toRpcError(error, request).toObject(), null);
    } finally {
      this.#outstanding--;
      this.#lastActive = Date.now();
      this.#slotFreed?.();
      this.#slotFreed = undefined;
    }
    if (this.closed) {
      this.#log.debug({ session: this.id, method: request.method, msgid: request.msgid }, 'Dropping a reply: the client is gone');
      return;
    }
    this.#send(reply);
  }

  #toRpcError(error: unknown, request: RpcRequest): RpcError {
    if (error instanceof RpcError) return error;
    this.#log.warn({ session: this.id, method: request.method, err: error }, 'A control method failed');
    return new RpcError(RpcErrorCode.INTERNAL_ERROR, `Cannot complete "${request.method}": the daemon failed (see its log)`);
  }

  /** Sends an `error` notification and ends the session (the server closes the connection). */
  #fail(error: RpcError): false {
    this.#log.warn({ session: this.id, code: error.code, reason: error.message }, 'Closing a control connection after a protocol error');
    this.#send(encodeNotification('error', [{ code: error.code, message: error.message }]));
    this.#writeBatch();
    this.#ended = true;
    return false;
  }

  /**
   * Sends bytes unless the connection is closed: they join this tick's
   * batch. False when the connection is known to be buffering (the bytes
   * are still sent): the caller should wait for `flush()`.
   */
  #send(bytes: Buffer): boolean {
    if (this.#conn.closed) return false;
    this.#batch.push(bytes);
    this.#batchBytes += bytes.length;
    // Nothing else under way (a lone request, an event): no reason to wait.
    if (this.#outstanding === 0 || this.#batchBytes >= CONTROL_HIGH_WATER_MARK_BYTES) this.#writeBatch();
    else if (this.#batch.length === 1) process.nextTick(() => this.#writeBatch());
    return !this.#congested;
  }

  /** Writes the batch as one chunk; marks the session congested when the connection had to buffer it. */
  #writeBatch(): void {
    const batch = this.#batch;
    if (batch.length === 0) return;
    const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch, this.#batchBytes);
    this.#batch = [];
    this.#batchBytes = 0;
    if (this.#conn.closed) return;
    try {
      if (this.#conn.write(bytes)) return;
    } catch (error) {
      this.#log.debug({ session: this.id, err: error }, 'Cannot write to a control connection');
      return;
    }
    this.#congested = true;
    // Watched from now, not only when the serve loop next looks: a peer that
    // stops reading and writing leaves that loop waiting for its requests.
    // Cleared here, not by that loop: a subscriber that sends nothing more
    // must not stay congested (its events would then queue, and a burst be
    // dropped, on a connection long drained).
    this.#drained().then(this.#uncongest, () => {});
  }

  /** What was buffered has gone out: the session is no longer congested, unless a later write was buffered (a new watch runs). */
  readonly #uncongest = (): void => {
    if (this.#stall === undefined) this.#congested = false;
  };
}
