import { dirname, resolve } from 'node:path';
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
import { BUILT_IN_LEVELS, levelAllows, type ControlLevel } from '../../protocol/control-level.js';
import { invalidParams } from '../../protocol/invalid-params.js';
import type { RpcRequest } from '../../protocol/message.js';
import { encodeNotification } from '../../protocol/message-encoder.js';
import { RpcError, RpcErrorCode } from '../../protocol/rpc-error.js';
import { silentLog, type ControlLog } from './control-log.js';
import { controlMethod, type ControlMethod, type ControlMethods } from './control-method.js';
import { ControlSession } from './control-session.js';
import { lingerAndClose } from './linger-and-close.js';
import { ensurePrivateDirectory } from './private-directory.js';

/** Mode of the admin control socket file: only this user may connect. */
const SOCKET_MODE = 0o600;

/** A control socket besides the admin one: its level, and who may open it. */
export interface ControlSocketOptions {
  /** The socket's path; its directory must be ours and writable by nobody else (see `listen`). */
  readonly path: string;
  /** What its clients may call. */
  readonly level: ControlLevel;
  /** Permission bits of the socket file, 0..0o777 (connecting needs write permission). */
  readonly mode: number;
  /** The group id the socket file is given before anyone can connect (default: the process's group). */
  readonly group?: number;
}

/** One bound socket and the sessions that came in on it. */
interface Listener {
  readonly path: string;
  readonly level: ControlLevel;
  readonly server: PipeServer;
  readonly sessions: Set<ControlSession>;
}

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
  /** The admin control socket's path (mode 0600); its directory must be private (see `listen`). */
  readonly path: string;
  /** More sockets, each of its own level, mode and group (default none). */
  readonly sockets?: readonly ControlSocketOptions[];
  /** The methods besides the built-in `hello`, `subscribe` and `unsubscribe`. */
  readonly methods: ControlMethods;
  /** What `hello` reports. */
  readonly info: ControlServerInfo;
  /** The topics clients may subscribe to and `publish` sends (default none). */
  readonly topics?: readonly string[];
  /** The level subscribing to each topic needs (a topic not named: `admin`). */
  readonly topicLevels?: Readonly<Record<string, ControlLevel>>;
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
  /**
   * Told the topics at least one client is subscribed to, each time they
   * change (a subscribe, an unsubscribe, a subscriber gone); a subscribe
   * is answered once what it returns has settled, so a publisher told to
   * start (a daemon's workers) has started by then.
   */
  readonly onSubscribed?: (topics: ReadonlySet<string>) => Promise<void> | void;
}

/**
 * The daemon's control endpoint: MessagePack-RPC over a Unix socket (see
 * docs/control.md). It knows nothing of the daemon: it decodes requests
 * under the protocol limits, validates params with each method's zod
 * schema, calls the handlers concurrently and writes each response when it
 * is ready (out of order). Built in: `hello`, `subscribe`, `unsubscribe`;
 * `publish` sends events to subscribers.
 *
 * Levels: the admin socket (`path`) may call everything; each of `sockets`
 * only the methods (and subscribe to the topics) its level allows. A call
 * above it is answered `FORBIDDEN` (-32007, `data: { level, required }`)
 * before its params are looked at, and the connection goes on.
 *
 * Every misbehaving client (bad bytes, too much, too many, not reading)
 * loses only its own connection; the others go on. One that does not read
 * what it was sent is not read either, and is closed once that has waited
 * `replyStallTimeoutMs` to go out. One idle for `idleTimeoutMs` is closed;
 * and when `MAX_CONTROL_CONNECTIONS` are open, a new client is admitted by
 * closing the one idle longest (logged), so an operator always gets in
 * unless every connection is subscribed or has a request in progress.
 * Each socket has its own `MAX_CONTROL_CONNECTIONS`: clients of a socket
 * open to others can never fill the admin socket's room.
 *
 * Errors: the constructor throws `TypeError` for a method named like a
 * built-in or without a schema and handler, or two sockets at one path,
 * `RangeError` for a bad `replyStallTimeoutMs` or `idleTimeoutMs`; `listen`
 * rejects as described there. Cost: one listening socket per socket; per
 * connection one session.
 */
export class ControlServer {
  readonly #info: ControlServerInfo;
  readonly #topics: readonly string[];
  readonly #log: ControlLog;
  readonly #replyStallTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #topicLevels: Readonly<Record<string, ControlLevel>>;
  readonly #methods: ReadonlyMap<string, ControlMethod>;
  readonly #admin: Listener;
  readonly #extra: readonly (Listener & { readonly mode: number; readonly group?: number })[];
  readonly #onSubscribed: ((topics: ReadonlySet<string>) => Promise<void> | void) | undefined;
  /** The topics last told to `onSubscribed`. */
  #subscribed: ReadonlySet<string> = new Set();

  constructor(options: ControlServerOptions) {
    this.#info = options.info;
    this.#topics = [...(options.topics ?? [])];
    this.#topicLevels = { ...options.topicLevels };
    this.#onSubscribed = options.onSubscribed;
    this.#log = options.log ?? silentLog;
    this.#replyStallTimeoutMs = timeoutOption('replyStallTimeoutMs', options.replyStallTimeoutMs, REPLY_STALL_TIMEOUT_MS, 1);
    this.#idleTimeoutMs = timeoutOption('idleTimeoutMs', options.idleTimeoutMs, CONTROL_IDLE_TIMEOUT_MS, 0);
    this.#methods = this.#methodTable(options.methods);
    this.#admin = this.#listener(options.path, 'admin');
    const paths = new Set([resolve(options.path)]);
    this.#extra = (options.sockets ?? []).map((socket) => {
      if (paths.has(resolve(socket.path))) throw new TypeError(`Cannot add the control socket "${socket.path}": another control socket has that path`);
      paths.add(resolve(socket.path));
      return { ...this.#listener(socket.path, socket.level), mode: socket.mode, group: socket.group };
    });
  }

  /** Control connections being served (not those being closed), on every socket. */
  get connections(): number {
    let open = 0;
    for (const listener of this.#listeners()) open += openSessions(listener);
    return open;
  }

  /**
   * Binds the admin socket (mode 0600), then each other socket (its mode and
   * group set before anyone can connect), and starts serving them all.
   *
   * For a Unix path the admin socket's directory must be private: it is
   * created (mode 0700) when missing, and refused, with an `Error` saying
   * why, when it is a symlink, not a directory, another user's, or open to
   * group or others (checked with `lstat`). Another socket's directory is
   * held to the same, except that others may enter it (created 0755): only
   * group or other write is refused. Then `PipeServer#bind` replaces a
   * stale socket and rejects with `PipeError` `EADDRINUSE` when a live
   * server answers there. On any failure the sockets already bound are
   * closed (their files removed) before it rejects.
   */
  async listen(): Promise<void> {
    try {
      if (pipePathKind(this.#admin.path) === 'unix') await ensurePrivateDirectory(dirname(this.#admin.path));
      await this.#admin.server.bind(this.#admin.path, { mode: SOCKET_MODE });
      for (const socket of this.#extra) {
        if (pipePathKind(socket.path) === 'unix') await ensurePrivateDirectory(dirname(socket.path), 'shared');
        await socket.server.bind(socket.path, { mode: socket.mode, group: socket.group });
      }
    } catch (error) {
      await Promise.all(this.#listeners().map((listener) => listener.server.close()));
      throw error;
    }
    for (const listener of this.#listeners()) void listener.server.serve();
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
    for (const listener of this.#listeners()) {
      for (const session of listener.sessions) {
        if (!session.topics.has(topic)) continue;
        bytes ??= encodeNotification('event', [{ topic, ...event }]);
        session.deliver(bytes);
      }
    }
  }

  /**
   * Removes the socket files and stops listening; each connection takes no
   * more requests, is answered those in progress and is closed, within
   * `CLOSE_FLUSH_TIMEOUT_MS` (2 s; past it every connection is closed).
   * Resolves once all are closed. Idempotent.
   */
  async close(): Promise<void> {
    for (const listener of this.#listeners()) for (const session of listener.sessions) session.finish();
    await Promise.all(this.#listeners().map((listener) => listener.server.close({ drainMs: CLOSE_FLUSH_TIMEOUT_MS })));
  }

  #listeners(): Listener[] {
    return [this.#admin, ...this.#extra];
  }

  #listener(path: string, level: ControlLevel): Listener {
    const listener: Listener = {
      path,
      level,
      sessions: new Set(),
      server: new PipeServer((conn) => this.#accept(listener, conn), {
        highWaterMark: CONTROL_HIGH_WATER_MARK_BYTES,
        closeTimeoutMs: CLOSE_FLUSH_TIMEOUT_MS,
        onError: (error) => this.#log.warn({ err: error, socket: path }, 'A control connection failed'),
      }),
    };
    return listener;
  }

  #accept(listener: Listener, conn: PipeConnection): Promise<void> {
    if (openSessions(listener) >= MAX_CONTROL_CONNECTIONS && !this.#evictIdlest(listener)) {
      const message = `Cannot accept the control connection: ${MAX_CONTROL_CONNECTIONS} are open already, each subscribed or with a request in progress`;
      this.#log.warn({ limit: MAX_CONTROL_CONNECTIONS }, message);
      conn.write(encodeNotification('error', [{ code: RpcErrorCode.BUSY, message }]));
      return lingerAndClose(conn, CLOSE_FLUSH_TIMEOUT_MS);
    }
    const options = { stallTimeoutMs: this.#replyStallTimeoutMs, idleTimeoutMs: this.#idleTimeoutMs, level: listener.level };
    const session = new ControlSession(conn, (request, from) => this.#dispatch(request, from), this.#log, options);
    listener.sessions.add(session);
    return session.run().finally(() => {
      listener.sessions.delete(session);
      if (session.topics.size > 0) void this.#subscriptionsChanged();
    });
  }

  /** Closes the session of `listener` idle longest to make room for a new client; false when none is idle. */
  #evictIdlest(listener: Listener): boolean {
    let idlest: ControlSession | undefined;
    for (const session of listener.sessions) {
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
    const required = method.level ?? 'admin';
    if (!levelAllows(session.level, required)) throw forbidden(`call "${request.method}"`, session.level, required);
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
      ['hello', controlMethod(z.looseObject({}), (_params, session) => this.#hello(session), BUILT_IN_LEVELS.hello)],
      [
        'subscribe',
        controlMethod(
          z.strictObject({ topics: z.array(topic).min(1) }),
          async ({ topics }, session) => {
            // All or nothing: a refused topic leaves the subscriptions as they were.
            for (const name of topics) {
              const required = this.#topicLevels[name] ?? 'admin';
              if (!levelAllows(session.level, required)) throw forbidden(`subscribe to "${name}"`, session.level, required);
            }
            session.subscribe(topics);
            await this.#subscriptionsChanged();
            return { topics: [...session.topics] };
          },
          BUILT_IN_LEVELS.subscribe,
        ),
      ],
      [
        'unsubscribe',
        controlMethod(
          z.strictObject({ topics: z.array(topic).optional() }),
          ({ topics }, session) => {
            session.unsubscribe(topics);
            void this.#subscriptionsChanged();
            return { topics: [...session.topics] };
          },
          BUILT_IN_LEVELS.unsubscribe,
        ),
      ],
    ];
  }

  /** Tells `onSubscribed` the topics subscribed to now, when they changed; a failure there is logged. */
  async #subscriptionsChanged(): Promise<void> {
    if (this.#onSubscribed === undefined) return;
    const topics = new Set<string>();
    for (const listener of this.#listeners()) for (const session of listener.sessions) for (const topic of session.topics) topics.add(topic);
    if (topics.size === this.#subscribed.size && [...topics].every((topic) => this.#subscribed.has(topic))) return;
    this.#subscribed = topics;
    try {
      await this.#onSubscribed(topics);
    } catch (error) {
      this.#log.warn({ err: error }, 'Cannot tell the publishers of the topics subscribed to');
    }
  }

  #hello(session: ControlSession): object {
    const { name, version, protocol } = this.#info;
    return {
      name,
      version,
      protocol,
      level: session.level,
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

/** The sessions of `listener` being served (not those being closed). */
function openSessions(listener: Listener): number {
  let open = 0;
  for (const session of listener.sessions) if (!session.closed) open += 1;
  return open;
}

/** The refusal of something above the socket's level: -32007, naming the level it needs. */
function forbidden(what: string, level: ControlLevel, required: ControlLevel): RpcError {
  return new RpcError(RpcErrorCode.FORBIDDEN, `Cannot ${what}: it needs a control socket of level ${required}, and this one is level ${level}`, { level, required });
}

/** A timeout option checked: `fallback` when missing; `RangeError` unless an integer from `min` to `MAX_TIMER_MS`. */
function timeoutOption(name: string, ms: number | undefined, fallback: number, min: number): number {
  if (ms === undefined) return fallback;
  if (!Number.isInteger(ms) || ms < min || ms > MAX_TIMER_MS) {
    throw new RangeError(`Cannot use ${name} ${String(ms)}: expected an integer from ${min} to ${MAX_TIMER_MS}`);
  }
  return ms;
}
