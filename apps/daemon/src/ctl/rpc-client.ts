import { PipeClient } from '@evergreen/pipe';
import { REPLY_LIMITS } from '../protocol/limits.js';
import { MAX_MSGID, MessageType, checkMessage, isInvalidMessage, type InvalidMessage, type RpcMessage } from '../protocol/message.js';
import { MessageDecoder } from '../protocol/message-decoder.js';
import { encodeRequest } from '../protocol/message-encoder.js';
import { RpcError } from '../protocol/rpc-error.js';
import { DaemonAccessError } from './daemon-access-error.js';
import { DaemonDisconnectedError } from './daemon-disconnected-error.js';
import { DaemonNotRunningError } from './daemon-not-running-error.js';
import { lockHolder } from '../daemon/lock/instance-lock.js';
import { NotificationQueue, type RpcNotificationEvent } from './notification-queue.js';

/** Notifications a client keeps for a consumer that is behind (1024): beyond that they are counted as dropped. */
const CLIENT_NOTIFICATION_BUFFER = 1024;

/** Bytes asked of the socket per read (64 KiB). */
const READ_CHUNK_BYTES = 64 * 1024;

/** `RpcClient.connect` options. */
export interface RpcClientConnectOptions {
  /** Cancels the connect: it rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

interface PendingCall {
  readonly method: string;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * A MessagePack-RPC client of the daemon's control socket: pipelined calls
 * (any number in flight, answered in any order) and a stream of the
 * daemon's notifications.
 *
 * Errors: `connect` rejects with `DaemonNotRunningError` (no socket file, or
 * nobody listening; its `startingPid` when a daemon holds the socket's lock
 * and is still starting), `DaemonAccessError` (another user's socket), or the
 * `PipeError` of any other failure. `call` rejects with the `RpcError` the
 * daemon sent (code, message, data intact), a `TypeError` for malformed
 * arguments, or `DaemonDisconnectedError` when the connection is gone:
 * the daemon closed it, its reply could not be decoded under `REPLY_LIMITS`
 * ("cannot read the daemon's reply"), or the peer sent a request, which no
 * daemon does ("… is not an evergreend control socket"); each of those
 * ends the connection.
 * Cost: one socket; replies are decoded under `REPLY_LIMITS`.
 */
export class RpcClient {
  readonly #conn: PipeClient;
  readonly #path: string;
  readonly #pending = new Map<number, PendingCall>();
  readonly #notifications = new NotificationQueue(CLIENT_NOTIFICATION_BUFFER);
  #nextMsgid = 0;
  #failure: DaemonDisconnectedError | undefined;
  #lastError: { code: number; message: string } | undefined;

  private constructor(conn: PipeClient, path: string) {
    this.#conn = conn;
    this.#path = path;
    void this.#readLoop();
  }

  /** Connects to the daemon's control socket at `path`. */
  static async connect(path: string, options: RpcClientConnectOptions = {}): Promise<RpcClient> {
    const conn = new PipeClient();
    try {
      await conn.connect(path, { signal: options.signal });
    } catch (error) {
      throw await connectError(path, error);
    }
    return new RpcClient(conn, path);
  }

  /** The socket path this client is connected to. */
  get path(): string {
    return this.#path;
  }

  /** True once the connection is gone (closed by either side or lost). */
  get closed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Calls `method`. `params` is the params array as sent; an object is sent
   * as `[object]` (a method's options map); nothing sends `[]`. Resolves the
   * result; rejects as described on the class.
   */
  call(method: string, params?: readonly unknown[] | object): Promise<unknown> {
    if (typeof method !== 'string') return Promise.reject(new TypeError('Cannot call: the method name must be a string'));
    const list = toParams(method, params);
    if (list instanceof TypeError) return Promise.reject(list);
    if (this.#failure !== undefined) return Promise.reject(this.#disconnected(method));
    let bytes: Buffer;
    const msgid = this.#allocateMsgid();
    try {
      bytes = encodeRequest(msgid, method, list);
    } catch (error) {
      return Promise.reject(new TypeError(`Cannot call "${method}": the params cannot be encoded (${(error as Error).message})`));
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(msgid, { method, resolve, reject });
      this.#conn.write(bytes);
    });
  }

  /**
   * The daemon's notifications (`event`, `dropped`, `error`, …) as they
   * arrive, for one consumer at a time. Up to 1024 wait for a slow
   * consumer; beyond that they are counted in a `dropped` entry. The
   * iteration ends when the client is closed, and throws
   * `DaemonDisconnectedError` when the daemon closed the connection.
   */
  async *events(): AsyncGenerator<RpcNotificationEvent, void, undefined> {
    for (;;) {
      const item = await this.#notifications.take();
      if (item === undefined) return;
      yield item;
    }
  }

  /** Closes the connection; pending calls reject with `DaemonDisconnectedError`, `events()` ends. Idempotent. */
  close(): void {
    if (this.#failure !== undefined) return;
    this.#end(new DaemonDisconnectedError(`Cannot complete the call: the client was closed`));
    this.#notifications.end();
  }

  async #readLoop(): Promise<void> {
    const decoder = new MessageDecoder(REPLY_LIMITS);
    let cause: unknown;
    try {
      for (;;) {
        const chunk = await this.#conn.readBytes(READ_CHUNK_BYTES, { partial: true });
        if (chunk.length === 0) break;
        decoder.push(chunk);
        for (let value = decoder.next(); value !== undefined; value = decoder.next()) this.#receive(checkMessage(value));
      }
    } catch (error) {
      cause = error;
    }
    if (this.#failure !== undefined) return;
    const failure = new DaemonDisconnectedError(`Cannot complete the call: ${this.#whyEnded(cause)}`, { cause, reason: this.#lastError });
    this.#end(failure);
    this.#notifications.end(failure);
  }

  /** Why the read loop ended, in words: the peer is no daemon, its reply could not be read, or it closed (with its last `error`). */
  #whyEnded(cause: unknown): string {
    if (cause instanceof PeerRequestError) return `"${this.#path}" is not an evergreend control socket: ${cause.message}`;
    if (cause instanceof RpcError) return `cannot read the daemon's reply: ${cause.message}`;
    const reason = this.#lastError;
    const detail = reason !== undefined ? `: ${reason.message}` : cause !== undefined ? ` (${(cause as Error).message})` : '';
    return `the daemon closed the connection${detail}`;
  }

  /**
   * Settles the call a response answers, queues a notification; throws an
   * `RpcError` for what is not a message, `PeerRequestError` for a request
   * (a daemon never sends one: an echo server returning ours does).
   */
  #receive(message: RpcMessage | InvalidMessage): void {
    if (isInvalidMessage(message)) throw message.error;
    if (message.type === MessageType.REQUEST) throw new PeerRequestError(message.method);
    if (message.type === MessageType.RESPONSE) {
      const call = this.#pending.get(message.msgid);
      if (call === undefined) return;
      this.#pending.delete(message.msgid);
      if (message.error === null || message.error === undefined) call.resolve(message.result);
      else call.reject(RpcError.fromObject(message.error));
    } else if (message.type === MessageType.NOTIFICATION) {
      if (message.method === 'error') this.#lastError = errorReason(message.params[0]);
      this.#notifications.push({ method: message.method, params: message.params });
    }
  }

  /** Marks the client gone, closes the socket, rejects every pending call. */
  #end(failure: DaemonDisconnectedError): void {
    this.#failure = failure;
    this.#conn.close();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) call.reject(this.#disconnected(call.method));
  }

  #disconnected(method: string): DaemonDisconnectedError {
    const failure = this.#failure!;
    const message = failure.message.replace('Cannot complete the call', `Cannot complete "${method}"`);
    return new DaemonDisconnectedError(message, { cause: failure.cause, reason: failure.reason });
  }

  /** The next msgid not in flight (uint32, wrapping). */
  #allocateMsgid(): number {
    do this.#nextMsgid = this.#nextMsgid >= MAX_MSGID ? 0 : this.#nextMsgid + 1;
    while (this.#pending.has(this.#nextMsgid));
    return this.#nextMsgid;
  }
}

/** The peer sent a request: what a client does, never the daemon. */
class PeerRequestError extends Error {
  constructor(method: string) {
    super(`the peer sent a request ("${method.slice(0, 64)}"), as only a client does (an echo server returns ours)`);
    this.name = 'PeerRequestError';
  }
}

function toParams(method: string, params: readonly unknown[] | object | undefined): unknown[] | TypeError {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params as unknown[];
  if (typeof params === 'object' && params !== null) return [params];
  return new TypeError(`Cannot call "${method}": params must be an array or an options object`);
}

function errorReason(value: unknown): { code: number; message: string } {
  const error = RpcError.fromObject(value);
  return { code: error.code, message: error.message };
}

/** Maps a connect failure to the errors a CLI reports in its own words (nobody listening: is a daemon starting there?). */
async function connectError(path: string, error: unknown): Promise<unknown> {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: number };
  if (code === 'ENOENT' || code === 'ECONNREFUSED') return new DaemonNotRunningError(path, code, { errno, cause: error, startingPid: await lockHolder(path) });
  if (code === 'EACCES' || code === 'EPERM') return new DaemonAccessError(path, code, { errno, cause: error });
  return error;
}
