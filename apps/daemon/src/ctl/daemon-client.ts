import type { Daemon } from '../daemon/daemon.js';
import type { ControlLevel } from '../protocol/control-level.js';
import type { LogLevel } from '../protocol/log-level.js';
import type { MethodName, MethodOptions } from '../protocol/methods.js';
import type { Topic } from '../protocol/topics.js';
import type { ConnectionPage, DaemonStats, DaemonStatus, PauseMode, ReloadReport, ServerInfo, WorkersRestartResult } from '../protocol/results.js';
import type { ServerSpec, ServerUpdate } from '../protocol/server-spec.js';
import { defaultSocketPath } from '../protocol/socket-path.js';
import type { TlsReloadResult } from '../protocol/tls-results.js';
import { RpcClient } from './rpc-client.js';

/** What `hello` tells: who answers, in which protocol revision, at which level (what this socket may call), with which methods and limits. */
export interface DaemonHello {
  name: string;
  version: string;
  protocol: number;
  /** The socket's level (absent from a daemon older than control levels: all was admin). */
  level?: ControlLevel;
  methods: string[];
  topics: string[];
  limits: Record<string, number>;
}

/** What `config.get` resolves: the config file's path and contents, the runtime changes kept in the state file, and conflicts. */
export type DaemonConfigView = ReturnType<Daemon['getConfig']>;

/**
 * One item of {@link DaemonClient.events}: an event of a subscribed topic
 * (the event's own fields, `topic` included), or how many events the daemon
 * or this client dropped at that point because they were not read in time.
 */
export type DaemonEvent = { kind: 'event'; topic: Topic; fields: Record<string, unknown> } | { kind: 'dropped'; count: number };

/**
 * A typed client of the daemon's control socket: one method per control
 * method of protocol/methods.ts, resolving the types of protocol/results.ts,
 * and the daemon's events as an async iterator. Calls may overlap (they are
 * pipelined on one connection).
 *
 * Errors: `connect` rejects with `DaemonNotRunningError` (no daemon answers;
 * its message says to start one with `npx evergreend`, or that the daemon
 * holding the socket's lock is starting: `startingPid`), `DaemonAccessError`
 * (another user's socket) or the socket's own error. A method rejects with
 * the daemon's `RpcError` (`code`, `message`, `data` such as `{ path, value,
 * expected }`), or `DaemonDisconnectedError` once the connection is gone.
 * Options are sent as given: the daemon validates them.
 * Cost: one Unix socket connection.
 */
export class DaemonClient {
  readonly #rpc: RpcClient;

  private constructor(rpc: RpcClient) {
    this.#rpc = rpc;
  }

  /**
   * Connects to `socketPath`, by default `EVERGREEN_SOCKET` when set and not
   * empty, else the per-user default (`defaultSocketPath()`).
   */
  static async connect(socketPath?: string): Promise<DaemonClient> {
    return new DaemonClient(await RpcClient.connect(socketPath ?? DaemonClient.socketPath()));
  }

  /** The socket `connect()` uses when given none. */
  static socketPath(env: NodeJS.ProcessEnv = process.env): string {
    const fromEnv = env.EVERGREEN_SOCKET;
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : defaultSocketPath(env);
  }

  /** The socket path this client is connected to. */
  get path(): string {
    return this.#rpc.path;
  }

  /** True once the connection is gone. */
  get closed(): boolean {
    return this.#rpc.closed;
  }

  hello(): Promise<DaemonHello> {
    return this.#rpc.call('hello') as Promise<DaemonHello>;
  }

  status(): Promise<DaemonStatus> {
    return this.#call('status', {});
  }

  listServers(): Promise<ServerInfo[]> {
    return this.#call('servers.list', {});
  }

  /** Starts a new server; resolves it as `servers.list` shows it. */
  addServer(spec: ServerSpec): Promise<ServerInfo> {
    return this.#call('servers.add', spec);
  }

  /** Changes a running server's limits and access lists (null: back to the default). */
  updateServer(update: ServerUpdate): Promise<ServerInfo> {
    return this.#call('servers.update', update);
  }

  /** Stops and forgets a server, letting its connections finish for up to `drainMs`. */
  removeServer(name: string, options: { drainMs?: number } = {}): Promise<ServerInfo> {
    return this.#call('servers.remove', { name, ...options });
  }

  pauseServer(name: string, mode: PauseMode = 'unbind'): Promise<ServerInfo> {
    return this.#call('servers.pause', { name, mode });
  }

  resumeServer(name: string): Promise<ServerInfo> {
    return this.#call('servers.resume', { name });
  }

  listConnections(query: MethodOptions<'connections.list'> = {}): Promise<ConnectionPage> {
    return this.#call('connections.list', query);
  }

  closeConnection(id: string): Promise<{ id: string; closed: true }> {
    return this.#call('connections.close', { id });
  }

  stats(): Promise<DaemonStats> {
    return this.#call('stats', {});
  }

  getConfig(): Promise<DaemonConfigView> {
    return this.#call('config.get', {});
  }

  /** Applies the config file again by difference; with `dryRun`, only reports what it would do. */
  reload(options: { dryRun?: boolean } = {}): Promise<ReloadReport> {
    return this.#call('config.reload', options);
  }

  /** Starts a new generation of workers with the code on disk; resolves once it serves (the old one drains). */
  restartWorkers(): Promise<WorkersRestartResult> {
    return this.#call('workers.restart', {});
  }

  /** Reads the credential files of tls:// server `name` (default: all) again and swaps those that changed. */
  reloadTls(name?: string): Promise<{ servers: TlsReloadResult[] }> {
    return this.#call('tls.reload', name === undefined ? {} : { name });
  }

  setLogLevel(level: LogLevel): Promise<{ level: LogLevel }> {
    return this.#call('log.setLevel', { level });
  }

  /** Asks the daemon to stop: it drains for up to `drainMs`, then exits (this connection then closes). */
  async shutdown(options: { drainMs?: number } = {}): Promise<void> {
    await this.#call('shutdown', options);
  }

  /** Adds topics to this connection's subscriptions; resolves every topic now subscribed. */
  subscribe(topics: readonly Topic[]): Promise<{ topics: Topic[] }> {
    return this.#rpc.call('subscribe', { topics }) as Promise<{ topics: Topic[] }>;
  }

  /** Removes topics, or every one when none are given. */
  unsubscribe(topics?: readonly Topic[]): Promise<{ topics: Topic[] }> {
    return this.#rpc.call('unsubscribe', topics === undefined ? {} : { topics }) as Promise<{ topics: Topic[] }>;
  }

  /**
   * The events of the subscribed topics as they arrive (one consumer at a
   * time). Ends when the client is closed; throws `DaemonDisconnectedError`
   * when the daemon goes away.
   */
  async *events(): AsyncGenerator<DaemonEvent, void, undefined> {
    for await (const { method, params } of this.#rpc.events()) {
      const fields = params[0] as Record<string, unknown> | undefined;
      if (method === 'dropped') yield { kind: 'dropped', count: Number(fields?.count ?? 0) };
      else if (method === 'event' && fields !== undefined) yield { kind: 'event', topic: fields.topic as Topic, fields };
    }
  }

  /** Closes the connection: pending calls reject with `DaemonDisconnectedError`, `events()` ends. Idempotent. */
  close(): void {
    this.#rpc.close();
  }

  #call<R>(method: MethodName, options: object): Promise<R> {
    return this.#rpc.call(method, options) as Promise<R>;
  }
}
