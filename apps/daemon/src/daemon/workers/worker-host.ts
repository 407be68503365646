import type { ConnectionInfo, ListenerSharing, PauseMode, ServerInfo, ServerOrigin, ServerState, ServerStatsInfo } from '../../protocol/results.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import type { TlsReloadResult } from '../../protocol/tls-results.js';
import { sumHandshakes } from '../tls/handshake-stats.js';
import { Admission } from '../hosting/admission.js';
import type { ConnectionView, ServerHost } from '../hosting/server-host.js';
import type { WorkerShare } from '../observe/metrics-registry.js';
import { listenAddress } from './listen-address.js';
import { WorkerGoneError, type WorkerProcess } from './worker-process.js';
import type { WorkerCalls } from './worker-call.js';

/** What a worker host needs of its pool. */
export interface WorkerHostPool {
  /** Runs `change` alone among the pool's changes (a worker being started replays the hosts in between). */
  turn<T>(change: () => Promise<T>): Promise<T>;
  /** The workers of the current generation that should hold a server shared this way. */
  holdersFor(sharing: ListenerSharing): WorkerProcess[];
  /** Lists (or unlists) a started host: new workers start it too, and its limits admit the whole server's connections. */
  placed(host: WorkerHost, placed: boolean): void;
  /** A host has stopped everywhere (until then it is told of workers exiting: a dead worker's counters stay in its totals). */
  stopped(host: WorkerHost): void;
  /** Has the workers give back their unused places of server `name` (its limits changed: what they hold unused was leased under the old ones). */
  reclaim(name: string): Promise<void>;
  /** Publishes a server event (state changes), as a host in one process does. */
  emit(topic: string, event: Record<string, unknown>): void;
}

/** How a worker loads a server: the config's file, transports and module load timeout. */
export interface WorkerLoad {
  configFile: string | null;
  transports: Record<string, string>;
  timeoutMs: number;
}

/**
 * A server as the primary sees it when workers serve the connections: each
 * change is made in every worker that holds it and resolves once all have
 * made it; a start that fails in one worker is undone in the others and
 * rejects with that worker's error. Its counters and connections are the
 * sum of its workers' last snapshots (the control methods take a fresh one
 * first), plus the totals of workers that no longer hold it (a replaced or
 * retired generation), so `accepted` never goes back.
 */
export class WorkerHost implements ServerHost {
  /** The primary's number for it, unique across reloads (a server's old and new host share its name). */
  readonly number: number;
  readonly sharing: ListenerSharing;
  #spec: ServerSpec;
  #origin: ServerOrigin;
  #state: ServerState = 'starting';
  #pausedMode: PauseMode | null = null;
  #listen: string | undefined;
  #address: string | null = null;
  #admission: Admission;
  readonly #pool: WorkerHostPool;
  readonly #load: WorkerLoad;
  readonly #holders = new Set<WorkerProcess>();
  readonly #retired: ServerStatsInfo;

  constructor(number: number, spec: ServerSpec, origin: ServerOrigin, sharing: ListenerSharing, pool: WorkerHostPool, load: WorkerLoad) {
    this.number = number;
    this.#spec = spec;
    this.#origin = origin;
    this.sharing = sharing;
    this.#pool = pool;
    this.#load = load;
    this.#admission = new Admission(spec);
    this.#retired = { accepted: 0, active: 0, refused: { denied: 0, maxConnections: 0, maxPerSource: 0, paused: 0, resources: 0 }, bytesIn: 0, bytesOut: 0, errors: 0, since: Date.now() };
  }

  get name(): string {
    return this.#spec.name;
  }

  get spec(): ServerSpec {
    return this.#spec;
  }

  get origin(): ServerOrigin {
    return this.#origin;
  }

  get state(): ServerState {
    return this.#state;
  }

  get pausedMode(): PauseMode | null {
    return this.#pausedMode;
  }

  /** The limits the primary admits this server's connections with. */
  get admission(): Admission {
    return this.#admission;
  }

  get connections(): Iterable<ConnectionView> {
    const views: ConnectionView[] = [];
    for (const worker of this.#holders) {
      for (const info of worker.snapshot?.connections?.[this.number] ?? []) views.push(connectionView(info, worker.pid));
    }
    return views;
  }

  async start(pausedMode: PauseMode | null = null): Promise<void> {
    this.#listen ??= await listenAddress(this.#spec.listen);
    await this.#pool.turn(async () => {
      this.#pausedMode = pausedMode;
      const started = await Promise.allSettled(this.#pool.holdersFor(this.sharing).map((worker) => this.placeOn(worker)));
      const failure = started.find((result) => result.status === 'rejected');
      if (failure !== undefined) {
        await this.#everywhere('stop', { host: this.number, drainMs: 0 });
        throw (failure as PromiseRejectedResult).reason;
      }
      this.#pool.placed(this, true);
    });
    this.#setState(pausedMode === null ? 'listening' : 'paused');
  }

  /** Starts this server in `worker` (a new one, or one replacing a worker that died), paused as it is now. */
  async placeOn(worker: WorkerProcess): Promise<void> {
    const load = this.#load;
    const info = await worker.call('start', { host: this.number, spec: this.#spec, listen: this.#listen!, sharing: this.sharing, origin: this.#origin, paused: this.#pausedMode, configFile: load.configFile, transports: load.transports, timeoutMs: load.timeoutMs });
    this.#holders.add(worker);
    this.#address = info.address ?? this.#address;
  }

  async pause(mode: PauseMode): Promise<void> {
    await this.#pool.turn(async () => {
      await this.#everywhere('pause', { host: this.number, mode });
      this.#pausedMode = mode;
    });
    this.#setState('paused');
  }

  async resume(): Promise<void> {
    await this.#pool.turn(async () => {
      await this.#everywhere('resume', { host: this.number });
      this.#pausedMode = null;
    });
    this.#setState('listening');
  }

  async update(spec: ServerSpec, origin: ServerOrigin): Promise<void> {
    await this.#pool.turn(async () => {
      await this.#everywhere('update', { host: this.number, spec: { ...spec, listen: this.#listen ?? spec.listen }, origin });
      this.#spec = spec;
      this.#origin = origin;
      this.#admission = new Admission(spec);
      await this.#pool.reclaim(spec.name);
    });
  }

  async stop(drainMs?: number): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#setState('stopping');
    await this.#pool.turn(async () => this.#pool.placed(this, false));
    await this.#everywhere('stop', { host: this.number, drainMs: drainMs ?? this.#spec.drainMs });
    this.#pool.stopped(this);
    this.#setState('stopped');
  }

  /**
   * Has each worker of the current generation read this server's TLS
   * credential files again and swap in those that changed (a draining
   * worker keeps its own to the end). One result per set of credentials
   * (`server`, `upstream`), as the workers agree on it: `failed` if one
   * failed (its message), else `reloaded` if one swapped new ones in, else
   * `unchanged`; none for a server without TLS. A worker that exits
   * meanwhile is skipped (its replacement reads the files when it starts).
   */
  async reloadCredentials(): Promise<TlsReloadResult[]> {
    const each = await this.#everywhere('reloadTls', { host: this.number });
    const merged = new Map<TlsReloadResult['credentials'], TlsReloadResult>();
    for (const result of each.flat()) {
      const before = merged.get(result.credentials);
      if (before === undefined || RELOAD_RANK[result.status] > RELOAD_RANK[before.status]) merged.set(result.credentials, result);
    }
    return [...merged.values()];
  }

  /** Each worker's log level is set by the pool, once for all its servers. */
  setLogLevel(): void {}

  closeConnection(id: string): boolean {
    for (const worker of this.#holders) {
      if (worker.snapshot?.connections?.[this.number]?.some((info) => info.id === id) === true) {
        void worker.call('closeConnection', { id }).catch(() => {});
        return true;
      }
    }
    return false;
  }

  stats(): ServerStatsInfo {
    const sum = structuredClone(this.#retired);
    for (const worker of this.#holders) {
      const stats = worker.snapshot?.hosts[this.number]?.stats;
      if (stats !== undefined) addStats(sum, stats, true);
    }
    return sum;
  }

  /** Each worker's share of the counters, as of its last snapshot (a retired worker's are in `stats()` alone). */
  shares(): WorkerShare[] {
    return [...this.#holders].flatMap((worker) => {
      const stats = worker.snapshot?.hosts[this.number]?.stats;
      return stats === undefined ? [] : [{ worker: worker.pid, stats }];
    });
  }

  info(): ServerInfo {
    const spec = this.#spec;
    const info: ServerInfo = { name: spec.name, listen: spec.listen, address: this.#pausedMode === 'unbind' || this.#state === 'stopped' ? null : this.#address, handler: spec.handler, origin: this.#origin, state: this.#state, pausedMode: this.#pausedMode, spec, stats: this.stats(), sharing: this.sharing };
    // A tls:// server's credentials as the current generation has them (a draining worker may still hold older ones).
    const tls = [...this.#holders].find((worker) => worker.state !== 'draining' && worker.snapshot?.hosts[this.number]?.tls !== undefined)?.snapshot!.hosts[this.number]!.tls;
    if (tls !== undefined) info.tls = tls;
    return info;
  }

  /** `worker` has exited or been retired: its last counters (not its connections) are kept in the totals. */
  forget(worker: WorkerProcess): void {
    if (!this.#holders.delete(worker)) return;
    const stats = worker.snapshot?.hosts[this.number]?.stats;
    if (stats !== undefined) addStats(this.#retired, stats, false);
  }

  /**
   * Calls `method` in every worker that holds this server — but a pause,
   * resume, update or credential reload not in a draining worker (an old
   * generation's must not listen again, and keeps its credentials to the
   * end) — and resolves their results; a worker that exits meanwhile is
   * skipped (its replacement starts from the state after the change).
   */
  async #everywhere<M extends 'pause' | 'resume' | 'update' | 'stop' | 'reloadTls'>(method: M, params: WorkerCalls[M]['params']): Promise<WorkerCalls[M]['result'][]> {
    const workers = [...this.#holders].filter((worker) => method === 'stop' || worker.state !== 'draining');
    const results = await Promise.all(
      workers.map((worker) =>
        worker.call(method, params).then(
          (result) => [result],
          (error: unknown) => {
            if (!(error instanceof WorkerGoneError)) throw error;
            return [];
          },
        ),
      ),
    );
    return results.flat();
  }

  #setState(state: ServerState): void {
    this.#state = state;
    this.#pool.emit('servers', { type: 'state', name: this.name, state, pausedMode: this.#pausedMode });
  }
}

/** Which of the workers' results for one set of credentials stands for all: a failure over a reload over nothing done. */
const RELOAD_RANK: Record<TlsReloadResult['status'], number> = { unchanged: 0, reloaded: 1, failed: 2 };

/** A connection of a worker's last snapshot, with the worker's pid in its info. */
function connectionView(info: ConnectionInfo, pid: number): ConnectionView {
  return { id: info.id, source: info.source, endpoints: { peer: info.peer }, info: () => ({ ...info, worker: pid }) };
}

/** Adds `more` into `sum`; `active` too when `withActive` (a retired worker's connections are gone). */
function addStats(sum: ServerStatsInfo, more: ServerStatsInfo, withActive: boolean): void {
  sum.accepted += more.accepted;
  if (withActive) sum.active += more.active;
  for (const reason of Object.keys(sum.refused) as (keyof ServerStatsInfo['refused'])[]) sum.refused[reason] += more.refused[reason];
  sum.bytesIn += more.bytesIn;
  sum.bytesOut += more.bytesOut;
  sum.errors += more.errors;
  if (more.tls !== undefined) sum.tls = sumHandshakes(sum.tls, more.tls, withActive);
}
