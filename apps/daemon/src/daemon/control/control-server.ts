import { dirname } from 'node:path';
import { z } from 'zod';
import { PipeServer, pipePathKind, type PipeConnection } from '@evergreen/pipe';
import { MAX_TIMER_MS } from '@evergreen/stream-core';
import {
  CLOSE_FLUSH_TIMEOUT_MS,
  CONTROL_HIGH_WATER_MARK_BYTES,
  CONTROL_IDLE_TIMEOUT_MS,
  MAX_CONTROL_CONNECTIONS,
  MAX_OUTSTANDING_REQUESTS,
  REPLY_STALL_TIMEOUT_MS,
  REQUEST_LIMITS,
  SUBSCRIBER_QUEUE_EVENTS,
} from '../../protocol/limits.js';
import { invalidParams } from '../../protocol/invalid-params.js';
import type { RpcRequest } from '../../protocol/message.js';
import { encodeNotification } from '../../protocol/message-encoder.js';
import { RpcError, RpcErrorCode } from '../../protocol/rpc-error.js';
import { silentLog, type ControlLog } from './control-log.js';
import { controlMethod, type ControlMethod, type ControlMethods } from './control-method.js';
import { ControlSession } from './control-session.js';
import { lingerAndClose } from './linger-and-close.js';
import { ensurePrivateDirectory } from './private-directory.js';

/** Mode of the control socket file: only this user may connect. */
const SOCKET_MODE = 0o600;

/** Who answers `hello`. */
export interface ControlServerInfo {
  /** The daemon's name (`'evergreend'`). */
  readonly name: string;
  /** The daemon's version. */
  readonly version: string;
  /** The protocol revision, an integer raised on every incompatible change. */
  readonly protocol: number;
}

/** Options of a `ControlServer`. */
export interface ControlServerOptions {
  /** The control socket's path; its directory must be private (see `listen`). */
  readonly path: string;
  /** The methods besides the built-in `hello`, `subscribe` and `unsubscribe`. */
  readonly methods: ControlMethods;
  /** What `hello` reports. */
  readonly info: ControlServerInfo;
  /** The topics clients may subscribe to and `publish` sends (default none). */
  readonly topics?: readonly string[];
  /** Where misbehaving clients and failing handlers are reported (default: nowhere). */
  readonly log?: ControlLog;
  /**
   * Milliseconds what was written to a connection may wait to go out
   * before the connection is closed (default `REPLY_STALL_TIMEOUT_MS`,
   * 60 s): an integer from 1 to `MAX_TIMER_MS`.
   */
  readonly replyStallTimeoutMs?: number;
  /**
   * Milliseconds a connection may stay idle — no request in progress, not
   * subscribed — before it is closed (default `CONTROL_IDLE_TIMEOUT_MS`,
   * 10 min; 0: never): an integer from 0 to `MAX_TIMER_MS`.
   */
  readonly idleTimeoutMs?: number;
}

/**
 * The daemon's control endpoint: MessagePack-RPC over a Unix socket (see
 * docs/control.md). It knows nothing of the daemon: it decodes requests
 * under the protocol limits, validates params with each method's zod
 * schema, calls the handlers concurrently and writes each response when it
 * is ready (out of order). Built in: `hello`, `subscribe`, `unsubscribe`;
 * `publish` sends events to subscribers.
 *
 * Every misbehaving client (bad bytes, too much, too many, not reading)
 * loses only its own connection; the others go on. One that does not read
 * what it was sent is not read either, and is closed once that has waited
 * `replyStallTimeoutMs` to go out. One idle for `idleTimeoutMs` is closed;
 * and when `MAX_CONTROL_CONNECTIONS` are open, a new client is admitted by
 * closing the one idle longest (logged), so an operator always gets in
 * unless every connection is subscribed or has a request in progress.
 *
 * Errors: the constructor throws `TypeError` for a method named like a
 * built-in or without a schema and handler, `RangeError` for a bad
 * `replyStallTimeoutMs` or `idleTimeoutMs`; `listen` rejects as described
 * there. Cost: one listening socket; per connection one session.
 */
export class ControlServer {
  readonly #path: string;
  readonly #info: ControlServerInfo;
  readonly #topics: readonly string[];
  readonly #log: ControlLog;
  readonly #replyStallTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #methods: ReadonlyMap<string, ControlMethod>;
  readonly #sessions = new Set<ControlSession>();
  readonly #server: PipeServer;

  constructor(options: ControlServerOptions) {
    this.#path = options.path;
    this.#info = options.info;
    this.#topics = [...(options.topics ?? [])];
    this.#log = options.log ?? silentLog;
    this.#replyStallTimeoutMs = timeoutOption('replyStallTimeoutMs', options.replyStallTimeoutMs, REPLY_STALL_TIMEOUT_MS, 1);
    this.#idleTimeoutMs = timeoutOption('idleTimeoutMs', options.idleTimeoutMs, CONTROL_IDLE_TIMEOUT_MS, 0);
    this.#methods = this.#methodTable(options.methods);
    this.#server = new PipeServer((conn) => this.#accept(conn), {
      highWaterMark: CONTROL_HIGH_WATER_MARK_BYTES,
      closeTimeoutMs: CLOSE_FLUSH_TIMEOUT_MS,
      onError: (error) => this.#log.warn({ err: error }, 'A control connection failed'),
    });
  }

  /** Control connections being served (not those being closed). */
  get connections(): number {
    let open = 0;
    for (const session of this.#sessions) if (!session.closed) open += 1;
    return open;
  }

  /**
   * Binds the control socket (mode 0600) and starts serving.
   *
   * For a Unix path the socket's directory must be private: it is created
   * (mode 0700) when missing, and refused, with an `Error` saying why, when
   * it is a symlink, not a directory, another user's, or open to group or
   * others (checked with `lstat`). Then `PipeServer#bind` replaces a stale
   * socket and rejects with `PipeError` `EADDRINUSE` when a live server
   * answers there.
   */
  async listen(): Promise<void> {
    if (pipePathKind(this.#path) === 'unix') await ensurePrivateDirectory(dirname(this.#path));
    await this.#server.bind(this.#path, { mode: SOCKET_MODE });
    void this.#server.serve();
  }

  /**
   * Sends `[2, 'event', [{ topic, ...event }]]` to every session subscribed
   * to `topic`. Encodes once; each subscriber gets it through its bounded
   * queue. Throws `RangeError` for a topic not given in the options,
   * `TypeError` when `event` is not an object, and what msgpackr throws for
   * a value it cannot encode.
   */
  publish(topic: string, event: object): void {
    if (!this.#topics.includes(topic)) throw new RangeError(`Cannot publish to topic "${topic}": the topics are ${this.#topics.join(', ') || '(none)'}`);
    if (typeof event !== 'object' || event === null) throw new TypeError(`Cannot publish to topic "${topic}": the event must be an object`);
    let bytes: Buffer | undefined;
    for (const session of this.#sessions) {
      if (!session.topics.has(topic)) continue;
      bytes ??= encodeNotification('event', [{ topic, ...event }]);
      session.deliver(bytes);
    }
  }

  /**
   * Removes the socket file and stops listening; each connection takes no
   * more requests, is answered those in progress and is closed, within
   * `CLOSE_FLUSH_TIMEOUT_MS` (2 s; past it every connection is closed).
   * Resolves once all are closed. Idempotent.
   */
  close(): Promise<void> {
    for (const session of this.#sessions) session.finish();
    return this.#server.close({ drainMs: CLOSE_FLUSH_TIMEOUT_MS });
  }

  #accept(conn: PipeConnection): Promise<void> {
    if (this.connections >= MAX_CONTROL_CONNECTIONS && !this.#evictIdlest()) {
      const message = `Cannot accept the control connection: ${MAX_CONTROL_CONNECTIONS} are open already, each subscribed or with a request in progress`;
      this.#log.warn({ limit: MAX_CONTROL_CONNECTIONS }, message);
      conn.write(encodeNotification('error', [{ code: RpcErrorCode.BUSY, message }]));
      return lingerAndClose(conn, CLOSE_FLUSH_TIMEOUT_MS);
    }
    const timeouts = { stallTimeoutMs: this.#replyStallTimeoutMs, idleTimeoutMs: this.#idleTimeoutMs };
    const session = new ControlSession(conn, (request, from) => this.#dispatch(request, from), this.#log, timeouts);
    this.#sessions.add(session);
    return session.run().finally(() => this.#sessions.delete(session));
  }

  /** Closes the session idle longest to make room for a new client; false when none is idle. */
  #evictIdlest(): boolean {
    let idlest: ControlSession | undefined;
    for (const session of this.#sessions) {
      const since = session.idleSince;
      if (since !== undefined && (idlest === undefined || since < idlest.idleSince!)) idlest = session;
    }
    if (idlest === undefined) return false;
    const idleMs = Date.now() - idlest.idleSince!;
    this.#log.warn({ session: idlest.id, idleMs, limit: MAX_CONTROL_CONNECTIONS }, 'Closing the control connection idle longest: every connection is taken and another client came');
    idlest.evict(`${MAX_CONTROL_CONNECTIONS} connections are open and this one was idle longest (${idleMs} ms); another client needed the room`);
    return true;
  }

  async #dispatch(request: RpcRequest, session: ControlSession): Promise<unknown> {
    const method = this.#methods.get(request.method);
    if (method === undefined) {
      throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `Cannot call "${request.method}": no such method`);
    }
    const { params } = request;
    if (params.length > 1) {
      throw new RpcError(RpcErrorCode.INVALID_PARAMS, `Cannot accept the params of "${request.method}": expected [] or [{ …options }], got ${params.length} elements`, {
        path: '',
        value: params,
        expected: '[] or [{ …options }]',
      });
    }
    const input = params[0] ?? {};
    const parsed = method.params.safeParse(input);
    if (!parsed.success) throw invalidParams(parsed.error, input);
    return method.handler(parsed.data, session);
  }

  #methodTable(methods: ControlMethods): Map<string, ControlMethod> {
    const table = new Map<string, ControlMethod>(this.#builtIns());
    for (const [name, method] of Object.entries(methods)) {
      if (table.has(name)) throw new TypeError(`Cannot add method "${name}": it is built in`);
      if (typeof method?.handler !== 'function' || typeof method.params?.safeParse !== 'function') {
        throw new TypeError(`Cannot add method "${name}": expected { params: a zod schema, handler: a function }`);
      }
      table.set(name, method);
    }
    return table;
  }

  #builtIns(): [string, ControlMethod][] {
    const topic = this.#topics.length > 0 ? z.enum(this.#topics as [string, ...string[]]) : z.never();
    return [
      ['hello', controlMethod(z.looseObject({}), () => this.#hello())],
      [
        'subscribe',
        controlMethod(z.strictObject({ topics: z.array(topic).min(1) }), ({ topics }, session) => {
          session.subscribe(topics);
          return { topics: [...session.topics] };
        }),
      ],
      [
        'unsubscribe',
        controlMethod(z.strictObject({ topics: z.array(topic).optional() }), ({ topics }, session) => {
          session.unsubscribe(topics);
          return { topics: [...session.topics] };
        }),
      ],
    ];
  }

  #hello(): object {
    const { name, version, protocol } = this.#info;
    return {
      name,
      version,
      protocol,
      methods: [...this.#methods.keys()],
      topics: this.#topics,
      limits: {
        maxMessageBytes: REQUEST_LIMITS.maxMessageBytes,
        maxStringBytes: REQUEST_LIMITS.maxStringBytes,
        maxArrayLength: REQUEST_LIMITS.maxArrayLength,
        maxMapLength: REQUEST_LIMITS.maxMapLength,
        maxDepth: REQUEST_LIMITS.maxDepth,
        maxItemsPerMessage: REQUEST_LIMITS.maxItems,
        maxControlConnections: MAX_CONTROL_CONNECTIONS,
        maxOutstandingRequests: MAX_OUTSTANDING_REQUESTS,
        subscriberQueueEvents: SUBSCRIBER_QUEUE_EVENTS,
        replyStallTimeoutMs: this.#replyStallTimeoutMs,
        idleTimeoutMs: this.#idleTimeoutMs,
      },
    };
  }
}

/** A timeout option checked: `fallback` when missing; `RangeError` unless an integer from `min` to `MAX_TIMER_MS`. */
function timeoutOption(name: string, ms: number | undefined, fallback: number, min: number): number {
  if (ms === undefined) return fallback;
  if (!Number.isInteger(ms) || ms < min || ms > MAX_TIMER_MS) {
    throw new RangeError(`Cannot use ${name} ${String(ms)}: expected an integer from ${min} to ${MAX_TIMER_MS}`);
  }
  return ms;
}
