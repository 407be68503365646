import { getHeapStatistics } from 'node:v8';
import { within } from '@evergreen/stream-core';
import { serverSpecSchema, type ServerSpec, type ServerUpdate } from '../protocol/server-spec.js';
import type { LogLevel } from '../protocol/log-level.js';
import { VERSION } from '../version.js';
import { loadConfig } from './config/config-file.js';
import type { DaemonConfig } from './config/config-schema.js';
import type { ConnectionPage, DaemonStats, DaemonStatus, PauseMode, ReloadReport, ServerInfo, ServerOrigin, ServerStatsInfo, Conflict } from '../protocol/results.js';
import { configBaseDir } from './config/daemon-paths.js';
import { DaemonError } from './daemon-error.js';
import type { ServerHost } from './hosting/server-host.js';
import { HostBuilder } from './hosting/host-builder.js';
import { moduleCodeHash } from '../handlers/module-code.js';
import type { WorkerPool } from './workers/worker-pool.js';
import type { Logger } from './logging/logger.js';
import { MAX_SERVERS } from '../protocol/limits.js';
import { ownValue } from '../protocol/own-value.js';
import { plannedServers, specKey, type PlannedServer } from './state/server-set.js';
import { SerialQueue } from './serial-queue.js';
import { Health } from './observe/health.js';
import { METRICS_ENDPOINT, MetricsEndpoint } from './observe/metrics-endpoint.js';
import { StateFile, type DaemonState } from './state/state-file.js';
import { reloadCredentials } from './tls/credential-reload.js';
import { HostedServer } from './hosting/hosted-server.js';
import { WorkerHost } from './workers/worker-host.js';
import type { TlsReloadResult } from '../protocol/tls-results.js';
import { descriptorHeadroom } from './hosting/descriptor-headroom.js';
import { TransportRegistry } from '../transports/transport-registry.js';
import { PassedSockets } from './systemd/passed-sockets.js';

/** What a daemon is built from. */
export interface DaemonOptions {
  /** The validated config. */
  config: DaemonConfig;
  /** The file it came from (reload reads it again), or null for the embedded default. */
  configFile: string | null;
  /** Where the state file lives. */
  stateDir: string;
  log: Logger;
  /** The sockets systemd passed in, which `sd://NAME` and `fd://N` listen URIs name (default: none). */
  passedSockets?: PassedSockets;
  /** The worker processes that serve the connections (`workers` ≥ 1); without it this process serves them. */
  workers?: WorkerPool;
}

/** `connections.list` filter and page. */
export interface ConnectionQuery {
  server?: string;
  source?: string;
  /** Only the connection from this `address:port` (`[v6]:port`). */
  peer?: string;
  offset?: number;
  limit?: number;
}

/** A listener of the daemon's events, by topic (`servers`, `connections`). */
export type DaemonListener = (topic: string, event: Record<string, unknown>) => void;

/** What a removed server's name is busy with until its drain ends. */
const DRAINING = 'draining after a remove';

/** How long a shutdown waits for the server change under way before it stops the servers (5 s). */
const CHANGE_GRACE_MS = 5_000;

/**
 * How long a change whose servers are still being built (modules imported)
 * keeps its turn among the changes (1 s): long enough that changes apply in
 * the order asked when imports are quick, short enough that a hung one
 * holds up the others a moment only.
 */
const LOAD_IN_TURN_MS = 1_000;

/** A reload ready to apply: its config, the transports it loads with, the servers built for it before its turn. */
interface PreparedReload {
  config: DaemonConfig;
  registry: TransportRegistry;
  early: Map<string, { key: string; host: ServerHost }>;
  /** The reload's number, in the order they were asked for. */
  ticket: number;
}

/** The most connections one `connections.list` page holds. */
export const MAX_PAGE = 1_000;
const DEFAULT_PAGE = 100;

/**
 * The daemon: hosts the servers of its config plus those changed at runtime,
 * and is where every action of the control API is one awaited method —
 * validated, applied, and (for changes) written to the state file before it
 * resolves, so a restarted daemon comes back with the same servers.
 *
 * Errors: {@link DaemonError} for a request it refuses (unknown server or
 * connection, name taken, server draining, a listen or target URI its
 * transport rejects, an option the transport's kind has no use for, a
 * transport or module that cannot be loaded, or not within the config's
 * `moduleLoadTimeoutMs`), `BindError`
 * when an address cannot be had, `ConfigError` when a reloaded config does
 * not validate (nothing changes then), and `DaemonError` refused when the
 * state cannot be written (the change is undone; `data.code` is the file
 * system's, such as `ENOSPC`).
 */
export class Daemon {
  #config: DaemonConfig;
  readonly #configFile: string | null;
  readonly #stateFile: StateFile;
  #state: DaemonState = { version: 1, runtime: {}, paused: {} };
  readonly #log: Logger;
  #registry: TransportRegistry;
  readonly #hosts = new Map<string, ServerHost>();
  /** Names with an operation under way (adding, draining after a remove). */
  readonly #busy = new Map<string, string>();
  /** Hosts no longer listed that have not stopped yet (being removed, or replaced by a reload): a shutdown stops them too. */
  readonly #leaving = new Set<ServerHost>();
  readonly #listeners = new Set<DaemonListener>();
  readonly #builder: HostBuilder;
  /** The hash of each module handler's file as it was when its host was built (or its workers started). */
  readonly #codeHashes = new WeakMap<ServerHost, string>();
  /** The worker processes that serve the connections (`workers` ≥ 1), else undefined: this process serves them. */
  readonly #workers: WorkerPool | undefined;
  /**
   * Every change to the servers (add, update, remove, pause, resume, reload)
   * runs alone: each awaits binds, files or modules, and two interleaved
   * ones would act on what the other is halfway through changing.
   */
  readonly #changes = new SerialQueue();
  readonly #startedAt = Date.now();
  #conflicts: Conflict[] = [];
  #shutdown: Promise<void> | undefined;
  /** Liveness and readiness (`/healthz`, `/readyz`); `evergreend` attaches its control socket and marks the start of a shutdown. */
  readonly health = new Health(() => this.#hosts.values());
  readonly #metrics: MetricsEndpoint;
  /** Reloads asked for so far, and the number of the last one applied: an older one coming later is refused. */
  #reloadsAsked = 0;
  #reloadsApplied = 0;

  constructor(options: DaemonOptions) {
    this.#config = options.config;
    this.#configFile = options.configFile;
    this.#stateFile = new StateFile(options.stateDir);
    this.#log = options.log;
    let connectionNumber = 0;
    const context = {
      log: this.#log,
      emit: (topic: string, event: Record<string, unknown>) => this.#emit(topic, event),
      nextConnectionId: () => String((connectionNumber += 1)),
    };
    this.#builder = new HostBuilder({ log: this.#log, context, passed: options.passedSockets ?? new PassedSockets(), baseDir: configBaseDir(options.configFile) });
    this.#workers = options.workers;
    this.#registry = this.#newRegistry(options.config);
    this.#metrics = new MetricsEndpoint(
      {
        servers: () => this.listServers(),
        controlConnections: () => this.health.controlConnections,
        workers: () => this.#workers?.list() ?? [],
        workersReplaced: () => this.#workers?.replaced ?? 0,
        sharesOf: (name) => {
          const host = this.#hosts.get(name);
          return host instanceof WorkerHost ? host.shares() : [];
        },
      },
      this.health,
      this.#log,
    );
  }

  /**
   * Loads the state file and starts every planned server (paused ones stay
   * paused). Rejects — with every server it started stopped again — when a
   * server cannot be built (`DaemonError`), the config and runtime changes
   * make more than `MAX_SERVERS` servers (`DaemonError` refused), an address
   * cannot be had (`BindError`, the metrics endpoint's too), the state file
   * is not valid (`ConfigError`), or a shutdown began meanwhile (`DaemonError` busy).
   */
  async start(): Promise<void> {
    this.#state = await this.#stateFile.load();
    const { servers, conflicts } = plannedServers(this.#config.servers, this.#state);
    checkServerCount(servers.size, 'Cannot start');
    this.#reportConflicts(conflicts);
    try {
      // First, so /readyz says 503 until every server is bound.
      await this.#metrics.apply(this.#config.metrics);
      for (const planned of servers.values()) {
        if (this.#shutdown !== undefined) throw shuttingDown();
        const host = await this.#createHost(planned.spec, planned.origin);
        await host.start(ownValue(this.#state.paused, planned.spec.name) ?? null);
        // Listed once started: a shutdown that began meanwhile stops only listed hosts.
        await this.#stopIfShuttingDown(host);
        this.#hosts.set(planned.spec.name, host);
      }
    } catch (error) {
      await this.shutdown(0);
      throw error;
    }
    this.health.markStarted();
    this.#log.info({ servers: [...this.#hosts.values()].map((host) => host.info().address ?? host.spec.listen), metrics: this.#metrics.info()?.address, openFileLimit: descriptorHeadroom.limit ?? null }, 'evergreend started');
  }

  /**
   * Checks what {@link start} would run without binding or writing
   * anything: the state file is read (not cleaned up) and validated, the
   * runtime changes in it applied over the config, and every resulting
   * server's transport loaded, its URIs parsed, its handler built. Resolves
   * those servers (in start order) and the conflicts a start would report;
   * rejects like `start` would, short of binding.
   */
  async check(): Promise<{ servers: PlannedServer[]; conflicts: Conflict[] }> {
    const { servers, conflicts } = plannedServers(this.#config.servers, await this.#stateFile.read());
    checkServerCount(servers.size, 'Cannot start');
    for (const planned of servers.values()) await this.#createHost(planned.spec, planned.origin);
    return { servers: [...servers.values()], conflicts };
  }

  /** Tells `listener` of every event until the returned function is called. */
  subscribe(listener: DaemonListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): DaemonStatus {
    const states = [...this.#hosts.values()].map((host) => host.state);
    const count = (state: string): number => states.filter((each) => each === state).length;
    // rss() alone and the heap statistics cost a fraction of memoryUsage(), which walks every space: status is called often.
    return {
      name: 'evergreend',
      version: VERSION,
      pid: process.pid,
      node: process.version,
      startedAt: this.#startedAt,
      uptimeMs: Date.now() - this.#startedAt,
      configFile: this.#configFile,
      stateFile: this.#stateFile.path,
      logLevel: this.#log.level,
      servers: { total: this.#hosts.size, listening: count('listening'), paused: count('paused'), stopping: this.#busy.size },
      connections: this.#serving().reduce((sum, host) => sum + host.stats().active, 0),
      memory: { rss: process.memoryUsage.rss() + (this.#workers?.rss ?? 0), heapUsed: getHeapStatistics().used_heap_size + (this.#workers?.heapUsed ?? 0) },
      metrics: this.#metrics.info(),
      ready: this.health.ready,
      workers: this.#workers?.list() ?? [],
      workersReplaced: this.#workers?.replaced ?? 0,
      generation: this.#workers?.generation ?? 0,
      ...(this.#workers === undefined ? {} : { sharing: Object.fromEntries([...this.#hosts.values()].map((host) => [host.name, host.info().sharing!])) }),
    };
  }

  listServers(): ServerInfo[] {
    return [...this.#hosts.values()].map((host) => host.info());
  }

  /** One server; `DaemonError` not-found when there is none of that name. */
  server(name: string): ServerInfo {
    return this.#host(name).info();
  }

  /**
   * Starts a new server and records it as a runtime change. Rejects
   * `DaemonError` (already-exists, busy while one of that name drains,
   * invalid, unavailable, refused past `MAX_SERVERS`) or `BindError`.
   */
  async addServer(spec: ServerSpec): Promise<ServerInfo> {
    if (this.#shutdown !== undefined) throw shuttingDown();
    return this.#changeOnceReady(this.#createHost(spec, 'runtime'), (host) => this.#addServer(spec, host));
  }

  async #addServer(spec: ServerSpec, host: ServerHost): Promise<ServerInfo> {
    const name = spec.name;
    if (this.#hosts.has(name)) throw new DaemonError('already-exists', `Cannot add server "${name}": a server of that name exists`, { name });
    checkServerCount(this.#hosts.size + 1, `Cannot add server "${name}"`);
    this.#claim(name, 'being added', `Cannot add server "${name}"`);
    try {
      await host.start();
      await this.#stopIfShuttingDown(host);
      this.#hosts.set(name, host);
      await this.#persist(() => this.#recordRuntime(name, spec), async () => {
        this.#hosts.delete(name);
        await host.stop(0);
      });
      this.#log.info({ server: name, listen: spec.listen }, 'server added');
      return host.info();
    } finally {
      this.#busy.delete(name);
    }
  }

  /**
   * Changes the limits and access lists of a running server (a null field
   * returns to its default); they hold from its next connection on.
   */
  updateServer(update: ServerUpdate): Promise<ServerInfo> {
    return this.#change(() => this.#updateServer(update));
  }

  async #updateServer(update: ServerUpdate): Promise<ServerInfo> {
    const host = this.#host(update.name);
    const merged: Record<string, unknown> = { ...host.spec };
    for (const [key, value] of Object.entries(update)) {
      if (value === null) delete merged[key];
      else if (value !== undefined) merged[key] = value;
    }
    const spec = serverSpecSchema.parse(merged);
    const before = { spec: host.spec, origin: host.origin };
    await host.update(spec, 'runtime');
    await this.#persist(() => this.#recordRuntime(spec.name, spec), () => host.update(before.spec, before.origin));
    this.#log.info({ server: spec.name, update }, 'server updated');
    return host.info();
  }

  /**
   * Stops a server: it releases its address at once, its connections get
   * `drainMs` (default: the server's) to finish, the rest are closed. The
   * removal is recorded before the drain; the promise resolves after it.
   */
  async removeServer(name: string, drainMs?: number): Promise<ServerInfo> {
    // The drain runs outside the queue: other changes need not wait for it.
    const host = await this.#change(() => this.#unlist(name));
    try {
      await this.#track(host, drainMs);
      return host.info();
    } finally {
      this.#busy.delete(name);
    }
  }

  /** Takes server `name` off the list and records its removal; the name stays busy until its drain ends. */
  async #unlist(name: string): Promise<ServerHost> {
    const host = this.#host(name);
    this.#claim(name, DRAINING, `Cannot remove server "${name}"`);
    this.#hosts.delete(name);
    this.#leaving.add(host);
    try {
      await this.#persist(() => {
        const inConfig = this.#configSpec(name);
        if (inConfig === undefined) delete this.#state.runtime[name];
        else this.#state.runtime[name] = { spec: null, configBase: specKey(inConfig) };
        delete this.#state.paused[name];
      }, () => {
        this.#leaving.delete(host);
        this.#hosts.set(name, host);
      });
    } catch (error) {
      this.#busy.delete(name);
      throw error;
    }
    this.#log.info({ server: name }, 'server removed: draining');
    return host;
  }

  /** Pauses a server (`unbind` frees its address, `refuse` keeps it and closes new connections); remembered across restarts. */
  pauseServer(name: string, mode: PauseMode): Promise<ServerInfo> {
    return this.#change(() => this.#pauseServer(name, mode));
  }

  async #pauseServer(name: string, mode: PauseMode): Promise<ServerInfo> {
    const host = this.#host(name);
    const before = host.pausedMode;
    await host.pause(mode);
    await this.#persist(() => (this.#state.paused[name] = mode), () => (before === null ? host.resume() : host.pause(before)));
    this.#log.info({ server: name, mode }, 'server paused');
    return host.info();
  }

  /** Resumes a paused server (after `unbind` it binds again, which may fail: `BindError`). */
  resumeServer(name: string): Promise<ServerInfo> {
    return this.#change(() => this.#resumeServer(name));
  }

  async #resumeServer(name: string): Promise<ServerInfo> {
    const host = this.#host(name);
    const before = host.pausedMode;
    await host.resume();
    await this.#persist(() => delete this.#state.paused[name], () => (before === null ? undefined : host.pause(before)));
    this.#log.info({ server: name }, 'server resumed');
    return host.info();
  }

  /**
   * Active connections, filtered by server and source, `limit` (≤ 1000,
   * default 100) from `offset` — those of servers draining (removed, or
   * replaced by a reload) too, under their server's name.
   */
  listConnections(query: ConnectionQuery = {}): ConnectionPage {
    const offset = query.offset ?? 0;
    const limit = Math.min(query.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const hosts = query.server === undefined ? this.#serving() : this.#servingNamed(query.server);
    const items: ConnectionPage['items'] = [];
    let total = 0;
    for (const host of hosts) {
      for (const record of host.connections) {
        if (query.source !== undefined && record.source !== query.source) continue;
        if (query.peer !== undefined && record.endpoints.peer !== query.peer) continue;
        if (total >= offset && items.length < limit) items.push(record.info());
        total += 1;
      }
    }
    return { total, offset, items };
  }

  /** Closes one connection by id, a draining server's too; `DaemonError` not-found when no server has it. */
  closeConnection(id: string): { id: string; closed: true } {
    for (const host of this.#serving()) if (host.closeConnection(id)) return { id, closed: true };
    throw new DaemonError('not-found', `Cannot close connection "${id}": no such connection`, { id });
  }

  stats(): DaemonStats {
    const servers: Record<string, ServerStatsInfo> = {};
    const totals = { accepted: 0, active: 0, refused: 0, bytesIn: 0, bytesOut: 0, errors: 0 };
    for (const host of this.#hosts.values()) {
      const stats = host.stats();
      servers[host.name] = stats;
      totals.accepted += stats.accepted;
      totals.active += stats.active;
      totals.refused += Object.values(stats.refused).reduce((sum, n) => sum + n, 0);
      totals.bytesIn += stats.bytesIn;
      totals.bytesOut += stats.bytesOut;
      totals.errors += stats.errors;
    }
    return { servers, totals, uptimeMs: Date.now() - this.#startedAt };
  }

  /** The config in force, the runtime state over it, and any conflicts between the two. */
  getConfig(): { file: string | null; config: DaemonConfig; state: DaemonState; conflicts: Conflict[] } {
    return { file: this.#configFile, config: this.#config, state: structuredClone(this.#state), conflicts: this.#conflicts };
  }

  /**
   * Applies a new config by difference: unchanged servers keep their
   * listeners and connections, changed ones are restarted (the old listener
   * is released first; its connections drain), removed ones drain, new ones
   * start. `config` defaults to the config file read again. With `dryRun`,
   * reports what it would do and changes nothing. Rejects `ConfigError` (the
   * file does not validate) or `DaemonError` (a server cannot be built, not
   * within `moduleLoadTimeoutMs` either: unavailable; more than `MAX_SERVERS`
   * would run: refused; a reload asked for later was applied first: busy)
   * with nothing changed; a server that fails to bind is reported in `failed`,
   * and so is the metrics endpoint (as `METRICS_ENDPOINT`: the old one, if any, goes on).
   */
  reload(options: { dryRun?: boolean; config?: DaemonConfig } = {}): Promise<ReloadReport> {
    if (options.dryRun === true) return this.#change(async () => this.#planReload(options.config ?? (await loadConfig(this.#configFile)), true, await this.#codeChanges()).report);
    return this.#reload(options.config);
  }

  /**
   * Reads the config and builds the servers it starts before its turn, as an
   * add does: a module whose import never ends holds up this reload alone
   * (until `moduleLoadTimeoutMs`), not every change after it. A reload asked
   * for later may then be applied first: this one is refused (busy) rather
   * than put back an older config over it.
   */
  async #reload(given: DaemonConfig | undefined): Promise<ReloadReport> {
    if (this.#shutdown !== undefined) throw shuttingDown();
    const ticket = (this.#reloadsAsked += 1);
    return this.#changeOnceReady(this.#prepareReload(given, ticket), (prepared) => this.#applyReload(prepared));
  }

  /** Reads the config and builds the servers it would start as things are now. */
  async #prepareReload(given: DaemonConfig | undefined, ticket: number): Promise<PreparedReload> {
    const config = given ?? (await loadConfig(this.#configFile));
    const registry = JSON.stringify(config.transports) === JSON.stringify(this.#config.transports) ? this.#registry : this.#newRegistry(config);
    const early = new Map<string, { key: string; host: ServerHost }>();
    for (const [name, planned] of this.#planReload(config, false, await this.#codeChanges()).changed) {
      early.set(name, { key: buildKey(planned), host: await this.#createHost(planned.spec, planned.origin, registry, config) });
    }
    return { config, registry, early, ticket };
  }

  async #applyReload({ config, registry, early, ticket }: PreparedReload): Promise<ReloadReport> {
    if (ticket < this.#reloadsApplied) throw new DaemonError('busy', 'Cannot reload the config: a reload asked for after this one was applied first');
    this.#reloadsApplied = ticket;
    const codeChanges = await this.#codeChanges();
    const { servers, conflicts, report, changed, newCode } = this.#planReload(config, false, codeChanges);
    const built = new Map<string, ServerHost>();
    for (const [name, planned] of changed) {
      const ready = early.get(name);
      // A change applied meanwhile (an add, a remove) can change what this reload starts: that one is built in its turn.
      built.set(name, ready?.key === buildKey(planned) ? ready.host : await this.#createHost(planned.spec, planned.origin, registry, config));
    }
    this.#config = config;
    this.#registry = registry;
    this.#reportConflicts(conflicts);
    for (const name of report.removed) {
      const host = this.#hosts.get(name)!;
      this.#hosts.delete(name);
      void this.#track(host);
    }
    for (const [name, host] of built) await this.#swap(name, host, report);
    for (const name of report.unchanged) await this.#hosts.get(name)?.update(servers.get(name)!.spec, servers.get(name)!.origin);
    if (newCode.length > 0) await this.#restartWorkersFor(newCode, codeChanges, report);
    report.tls = await this.#reloadCredentials(report.unchanged);
    await this.#metrics.apply(config.metrics).catch((error: unknown) => report.failed.push({ name: METRICS_ENDPOINT, message: (error as Error).message }));
    this.#applyLogLevel(config.log.level);
    this.#log.info({ added: report.added, removed: report.removed, restarted: report.restarted, failed: report.failed.map((each) => each.name) }, 'config reloaded');
    return report;
  }

  /**
   * What applying `config` now would do: the servers it plans, the report,
   * the servers to build (new or changed: a changed spec, or — without
   * workers — a handler module changed on disk, `codeChanges`) and, with
   * workers, the servers whose module changed alone (a new generation of
   * workers loads it). Throws `DaemonError` refused past `MAX_SERVERS`.
   */
  #planReload(config: DaemonConfig, dryRun: boolean, codeChanges: ReadonlyMap<string, string>): { servers: Map<string, PlannedServer>; conflicts: Conflict[]; report: ReloadReport; changed: Map<string, PlannedServer>; newCode: string[] } {
    const { servers, conflicts } = plannedServers(config.servers, this.#state);
    checkServerCount(servers.size, 'Cannot reload the config');
    const report: ReloadReport = { dryRun, added: [], removed: [], restarted: [], unchanged: [], conflicts, failed: [] };
    const changed = new Map<string, PlannedServer>();
    const newCode: string[] = [];
    for (const [name, planned] of servers) {
      const current = this.#hosts.get(name);
      const sameSpec = current !== undefined && specKey(current.spec) === specKey(planned.spec);
      const codeChanged = sameSpec && codeChanges.has(name);
      if (current === undefined) report.added.push(name);
      else if (sameSpec && !codeChanged) report.unchanged.push(name);
      else report.restarted.push(name);
      if (codeChanged && this.#workers !== undefined) newCode.push(name);
      else if (!sameSpec || codeChanged) changed.set(name, planned);
    }
    for (const name of this.#hosts.keys()) if (!servers.has(name)) report.removed.push(name);
    return { servers, conflicts, report, changed, newCode };
  }

  /**
   * Starts a new generation of workers for servers whose handler module
   * changed on disk (`names`): the new generation loads it, the old one
   * drains. When the new generation cannot start (the new code fails to
   * load), the old one goes on and each server is reported in `failed`.
   */
  async #restartWorkersFor(names: readonly string[], codeChanges: ReadonlyMap<string, string>, report: ReloadReport): Promise<void> {
    try {
      await this.#workers!.restart();
    } catch (error) {
      this.#log.warn({ servers: names, err: error }, 'reload: the new handler code could not start in new workers; the old ones go on serving');
      for (const name of names) {
        report.restarted.splice(report.restarted.indexOf(name), 1);
        report.failed.push({ name, message: (error as Error).message });
      }
      return;
    }
    for (const name of names) this.#codeHashes.set(this.#hosts.get(name)!, codeChanges.get(name)!);
  }

  /**
   * Reads the credential files of the `tls://` server `name` (default:
   * every one) again and swaps in those that changed, without rebinding;
   * per server: reloaded, unchanged, or failed with the old ones kept.
   * With workers, each worker of the current generation reloads its own
   * (a draining one keeps its credentials to the end).
   * `DaemonError` not-found for a name that is no server, invalid for one
   * that is not a tls:// server.
   */
  reloadTls(name?: string): Promise<TlsReloadResult[]> {
    return this.#change(async () => {
      if (name === undefined) return this.#reloadCredentials([...this.#hosts.keys()]);
      this.#host(name); // not-found for a name that is no server
      const results = await this.#reloadCredentials([name]);
      if (results.length === 0) {
        throw new DaemonError('invalid', `Cannot reload the TLS credentials of server "${name}": it is not a tls:// server nor a forward to one`, { path: 'name', value: name, expected: 'the name of a tls:// server or of a forward to a tls:// target' });
      }
      return results;
    });
  }

  /** Reloads the credentials of those of `names` that are tls:// servers or forward to a tls:// target (with workers: in every worker of the current generation). */
  async #reloadCredentials(names: readonly string[]): Promise<TlsReloadResult[]> {
    const results: TlsReloadResult[] = [];
    for (const name of names) {
      const host = this.#hosts.get(name);
      if (host instanceof WorkerHost) results.push(...(await host.reloadCredentials()));
      else if (host instanceof HostedServer) results.push(...(await reloadCredentials(host, this.#builder, this.#log)));
    }
    return results;
  }

  /** Sets the log level now (not persisted: the config's level returns with a restart or reload). */
  setLogLevel(level: LogLevel): { level: LogLevel } {
    this.#applyLogLevel(level);
    return { level };
  }

  /**
   * Stops every server: addresses are released at once, connections get
   * `drainMs` (default: each server's own) to finish, the rest are closed.
   * Idempotent: later calls share the first one's promise.
   */
  shutdown(drainMs?: number): Promise<void> {
    this.health.markStopping();
    this.#shutdown ??= (async () => {
      // The change under way may finish first (the ones queued after it are
      // refused); one that takes longer stops what it starts itself.
      await within(this.#changes.idle(), CHANGE_GRACE_MS);
      // Hosts still draining after a remove or reload get this shutdown's drain too.
      const hosts = [...this.#hosts.values(), ...this.#leaving];
      await Promise.all(hosts.map((host) => host.stop(drainMs)));
      // Listed (as stopping) until stopped: status and /metrics show the drain.
      this.#hosts.clear();
      // Last: /readyz says 503 and /metrics is scraped through the drain.
      await this.#metrics.close();
    })();
    return this.#shutdown;
  }

  async #swap(name: string, host: ServerHost, report: ReloadReport): Promise<void> {
    const old = this.#hosts.get(name);
    const oldMode = old?.pausedMode ?? null;
    // The old listener lets go of the address first; its connections go on.
    if (old !== undefined && oldMode !== 'unbind') await old.pause('unbind');
    try {
      await host.start(ownValue(this.#state.paused, name) ?? null);
      await this.#stopIfShuttingDown(host);
    } catch (error) {
      report.failed.push({ name, message: (error as Error).message });
      this.#log.warn({ server: name, err: error }, 'reload: the server could not start; the old one, if any, keeps running');
      if (old === undefined) report.added.splice(report.added.indexOf(name), 1);
      // Once shutting down, the old one is being stopped: never listen again.
      else if (this.#shutdown === undefined) await (oldMode === null ? old.resume() : old.pause(oldMode)).catch(() => {});
      return;
    }
    this.#hosts.set(name, host);
    if (old !== undefined) void this.#track(old);
  }

  /** Stops `host`, just started, and refuses with `DaemonError` busy when a shutdown began meanwhile (it would not stop it). */
  async #stopIfShuttingDown(host: ServerHost): Promise<void> {
    if (this.#shutdown === undefined) return;
    await host.stop(0);
    throw shuttingDown();
  }

  /**
   * Runs `apply` with what `preparing` resolves, alone among the changes, in
   * the turn it takes now: servers are built (modules imported) before their
   * change is applied, and an import can take long or never end. The turn is
   * held while `preparing` settles, up to `LOAD_IN_TURN_MS`; past that the
   * changes after it go first, and `apply` takes a new turn once `preparing`
   * has resolved (so a change whose import hangs holds up no other).
   */
  async #changeOnceReady<P, T>(preparing: Promise<P>, apply: (prepared: P) => Promise<T>): Promise<T> {
    let settled = false;
    const watched = preparing.then(
      () => (settled = true),
      () => (settled = true),
    );
    const inTurn = await this.#change(async () => {
      await within(watched, LOAD_IN_TURN_MS);
      return settled ? { result: await apply(await preparing) } : undefined;
    });
    if (inTurn !== undefined) return inTurn.result;
    const prepared = await preparing;
    return this.#change(() => apply(prepared));
  }

  /** Runs `change` alone, after the changes queued before it; refused with `DaemonError` busy once the daemon is shutting down. */
  #change<T>(change: () => Promise<T>): Promise<T> {
    return this.#changes.run(() => {
      if (this.#shutdown !== undefined) return Promise.reject(shuttingDown());
      return change();
    });
  }

  #host(name: string): ServerHost {
    const host = this.#hosts.get(name);
    if (host !== undefined) return host;
    throw this.#missing(name);
  }

  /** Every host that may have connections: the listed ones, then those draining (removed, or replaced by a reload). */
  #serving(): ServerHost[] {
    return [...new Set([...this.#hosts.values(), ...this.#leaving])];
  }

  /** The hosts of `name` that may have connections (a reload's new one and the old one draining); `DaemonError` when there is none. */
  #servingNamed(name: string): ServerHost[] {
    const hosts = this.#serving().filter((host) => host.name === name);
    if (hosts.length === 0) throw this.#missing(name);
    return hosts;
  }

  /** Why there is no server `name`: `DaemonError` busy (being added, draining) or not-found. */
  #missing(name: string): DaemonError {
    const busy = this.#busyWith(name);
    return new DaemonError(busy === undefined ? 'not-found' : 'busy', `Cannot find server "${name}": ${busy === undefined ? 'no such server' : `it is ${busy}`}`, { name });
  }

  #claim(name: string, doing: string, action: string): void {
    const busy = this.#busyWith(name);
    if (busy !== undefined) throw new DaemonError('busy', `${action}: it is ${busy}`, { name });
    this.#busy.set(name, doing);
  }

  /** What server `name` is busy with, if anything; a drain says what it waits for and how to end it. */
  #busyWith(name: string): string | undefined {
    const doing = this.#busy.get(name);
    if (doing !== DRAINING) return doing;
    const left = this.#serving().reduce((sum, host) => sum + (host.name === name ? host.stats().active : 0), 0);
    return `${DRAINING}, ${left} connection${left === 1 ? '' : 's'} left (connections.list with server "${name}" shows them, connections.close ends them)`;
  }

  #configSpec(name: string): ServerSpec | undefined {
    return this.#config.servers.find((spec) => spec.name === name);
  }

  #recordRuntime(name: string, spec: ServerSpec): void {
    const configBase = ownValue(this.#state.runtime, name)?.configBase ?? specKey(this.#configSpec(name));
    this.#state.runtime[name] = { spec, configBase };
  }

  /**
   * Applies `change` to the state and writes it; when the write fails, the
   * state and `undo` roll the change back and the caller is told it was not
   * applied (`DaemonError` refused).
   */
  async #persist(change: () => unknown, undo: () => unknown): Promise<void> {
    const before = structuredClone(this.#state);
    change();
    try {
      await this.#stateFile.save(this.#state);
    } catch (error) {
      this.#state = before;
      await undo();
      throw notSaved(this.#stateFile.path, error);
    }
  }

  /** Stops a host that is no longer listed, keeping it among the leaving until it has stopped. */
  #track(host: ServerHost, drainMs?: number): Promise<void> {
    this.#leaving.add(host);
    return host.stop(drainMs).finally(() => this.#leaving.delete(host));
  }

  #reportConflicts(conflicts: Conflict[]): void {
    this.#conflicts = conflicts;
    for (const conflict of conflicts) this.#log.warn({ server: conflict.name }, `config conflict: ${conflict.reason}`);
  }

  #newRegistry(config: DaemonConfig): TransportRegistry {
    return new TransportRegistry(config.transports, configBaseDir(this.#configFile));
  }

  /** Builds (does not start) the host of a spec: in this process, or (with workers) one the worker processes serve. */
  async #createHost(spec: ServerSpec, origin: ServerOrigin, registry = this.#registry, config = this.#config): Promise<ServerHost> {
    // Hashed before it is loaded: a file changed meanwhile is loaded again by the next reload.
    const hash = await moduleCodeHash(spec.handler, configBaseDir(this.#configFile));
    const host =
      this.#workers === undefined
        ? await this.#builder.build(spec, origin, registry, config.moduleLoadTimeoutMs)
        : await this.#workers.createHost(spec, origin, { registry, transports: config.transports, configFile: this.#configFile, timeoutMs: config.moduleLoadTimeoutMs });
    if (hash !== undefined) this.#codeHashes.set(host, hash);
    return host;
  }

  /** The servers whose handler module has changed on disk since it was loaded, with the new hash of each. */
  async #codeChanges(): Promise<Map<string, string>> {
    const changed = new Map<string, string>();
    for (const [name, host] of this.#hosts) {
      const loaded = this.#codeHashes.get(host);
      if (loaded === undefined) continue;
      const now = await moduleCodeHash(host.spec.handler, configBaseDir(this.#configFile));
      if (now !== undefined && now !== loaded) changed.set(name, now);
    }
    return changed;
  }

  /** Tells every listener; a listener that throws is logged and never reaches the server that emitted. */
  #emit(topic: string, event: Record<string, unknown>): void {
    for (const listener of this.#listeners) {
      try {
        listener(topic, event);
      } catch (error) {
        this.#log.error({ err: error, topic }, 'an event listener failed');
      }
    }
  }

  /** Sets the level of the daemon's log and of every server's (pino children keep the level they were made with). */
  #applyLogLevel(level: LogLevel): void {
    this.#log.level = level;
    for (const host of this.#serving()) host.setLogLevel(level);
    this.#workers?.setLogLevel(level);
  }
}

/** A change whose state could not be written, undone: said so, with the file system's `code`. */
function notSaved(path: string, error: unknown): DaemonError {
  const code = (error as NodeJS.ErrnoException).code;
  const message = `Cannot save the state "${path}": ${(error as Error).message}; the change is not applied`;
  return new DaemonError('refused', message, code === undefined ? undefined : { code }, { cause: error });
}

/** What a host is built from: a host built for one plan serves another when these are equal. */
function buildKey(planned: PlannedServer): string {
  return `${planned.origin} ${specKey(planned.spec)}`;
}

/** The refusal of a change once shutdown has begun. */
function shuttingDown(): DaemonError {
  return new DaemonError('busy', 'Cannot change the servers: the daemon is shutting down');
}

/** Throws `DaemonError` `refused` (-32006) when `count` servers are more than `MAX_SERVERS`; `action` starts its message. */
function checkServerCount(count: number, action: string): void {
  if (count <= MAX_SERVERS) return;
  throw new DaemonError('refused', `${action}: that makes ${count} servers, more than the ${MAX_SERVERS} a daemon hosts (stats and config.get must fit one reply)`, { count, max: MAX_SERVERS });
}
