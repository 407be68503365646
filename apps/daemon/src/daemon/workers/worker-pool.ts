import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { within, type Transport } from '@evergreen/stream-core';
import type { ListenerSharing, ServerOrigin, WorkerInfo, WorkersRestartResult } from '../../protocol/results.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import type { LogLevel } from '../../protocol/log-level.js';
import type { TransportRegistry } from '../../transports/transport-registry.js';
import { DaemonError } from '../daemon-error.js';
import { asDaemonError, refuseDatagramOptions } from '../hosting/host-builder.js';
import type { Logger } from '../logging/logger.js';
import { SerialQueue } from '../serial-queue.js';
import { WholeServerAdmission } from './whole-server-admission.js';
import { WorkerHost, type WorkerHostPool, type WorkerLoad } from './worker-host.js';
import { WorkerProcess } from './worker-process.js';
import type { AdmissionClaimMessage, WorkerEventMessage } from './worker-event.js';

/** The file each worker process runs. */
const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** How often the primary asks each worker for its snapshot — also how it notices one that stopped answering (1 s). */
export const WORKER_PROBE_MS = 1_000;
/** How long a worker may leave the primary's snapshot request unanswered before it is killed and replaced (10 s: a handler may block its event loop a while, never that long). */
export const WORKER_ANSWER_TIMEOUT_MS = 10_000;
/** The first wait before replacing a worker that died (100 ms), doubled for each death in a row of that slot… */
const RESPAWN_FIRST_MS = 100;
/** …up to 10 s. */
const RESPAWN_MAX_MS = 10_000;
/** A worker that served this long (30 s) before dying starts the backoff over. */
const STABLE_MS = 30_000;
/** How many reclaim rounds a claim that finds no room may wait for before it is refused (a round ends tight, so one is enough unless the limits change meanwhile). */
const MAX_RECLAIM_ROUNDS = 3;
/** How long a worker told to exit (after its drain) gets before it is killed (5 s). */
const EXIT_GRACE_MS = 5_000;

/** The log line saying how a server is shared, by its sharing. */
const SHARING_LOG: Record<ListenerSharing, string> = {
  'round-robin': 'server shared by the workers round-robin (the primary holds the listening socket)',
  'reuse-port': 'server bound by every worker with reusePort (udp: the kernel keeps each client with one worker)',
  'single-worker': 'server held by one worker (udp without reusePort on this Node: a client stays with one process)',
};

/** What a pool is built from. */
export interface WorkerPoolOptions {
  /** How many workers each generation has (≥ 1). */
  count: number;
  log: Logger;
  /** Publishes an event to control subscribers (`servers`, `connections` and the workers' `log` records). */
  publish(topic: string, event: Record<string, unknown>): void;
}

/**
 * The worker processes of a daemon run with `workers: N` (node:cluster,
 * round-robin scheduling): N workers per generation, each running the
 * servers the primary places on them. tcp and tls servers run in every
 * worker of the generation and share the primary's listening socket
 * (cluster's round-robin: the primary accepts and hands each connection to
 * the next worker). udp servers run in every worker too where the udp
 * transport has `reusePort` (Node ≥ 22.12): each worker binds the port with
 * `SO_REUSEPORT` and the kernel keeps each client's datagrams on one
 * worker; elsewhere (Node 20) they run in the generation's first worker
 * alone, so a client's datagrams stay in one process. A worker that dies is
 * replaced (after a backoff, logged, counted), and so is one that leaves
 * the primary's snapshot request unanswered for `WORKER_ANSWER_TIMEOUT_MS`.
 * `restart()` starts a new generation, hands it the listening sockets (a
 * `reuse-port` server: the new workers bind alongside the old ones) and
 * lets the old one drain. The pool counts every connection against its
 * server's whole-server limits ({@link WholeServerAdmission}).
 */
export class WorkerPool implements WorkerHostPool {
  readonly #options: WorkerPoolOptions;
  readonly #log: Logger;
  /** Every worker alive, of every generation. */
  readonly #alive = new Set<WorkerProcess>();
  /** The current generation, by slot (a slot is empty while its worker is being replaced). */
  #current: (WorkerProcess | undefined)[] = [];
  /** The started hosts, in the order they started: what a new worker starts. */
  readonly #placed = new Set<WorkerHost>();
  /** Every host not stopped yet, a stopping one too: told when a worker exits. */
  readonly #hosts = new Set<WorkerHost>();
  /** The host whose limits admit a server name's connections: the one started last under that name. */
  readonly #limits = new Map<string, WorkerHost>();
  readonly #admission = new WholeServerAdmission();
  /** The reclaim round in progress, by server name. */
  readonly #reclaiming = new Map<string, Promise<void>>();
  readonly #turns = new SerialQueue();
  /** In-flight snapshot requests, by worker: when each was sent. */
  readonly #probes = new Map<WorkerProcess, number>();
  /** Deaths in a row, by slot. */
  readonly #deaths = new Map<number, number>();
  #generation = 0;
  #replaced = 0;
  #hostNumber = 0;
  #logLevel: LogLevel;
  #closing = false;
  /** Whether the workers send their connections' events (someone is subscribed to them). */
  #watching = false;
  #restarting: Promise<WorkersRestartResult> | undefined;
  #probe: NodeJS.Timeout | undefined;

  /** A pool of `options.count` workers, none started yet ({@link start}). */
  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#logLevel = options.log.level as LogLevel;
  }

  /** Starts the first generation; rejects (every worker it started stopped) when a worker cannot start. */
  async start(): Promise<void> {
    // Round-robin even where the OS would be asked (cluster's default on Windows): 88/312 is not sharing.
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ exec: WORKER_ENTRY, silent: false });
    await this.#startGeneration();
    this.#probe = setInterval(() => this.#probeAll(), WORKER_PROBE_MS);
    this.#probe.unref();
    this.#log.info({ workers: this.#options.count, pids: this.#current.map((worker) => worker?.pid) }, 'workers started');
  }

  /** The workers, current generation first, then those draining. */
  list(): WorkerInfo[] {
    return [...this.#alive].sort((a, b) => b.generation - a.generation || a.slot - b.slot).map((worker) => worker.info());
  }

  /** Workers replaced since the start (died, or stopped answering). */
  get replaced(): number {
    return this.#replaced;
  }

  get generation(): number {
    return this.#generation;
  }

  /** The sum of the workers' used heap, as of their last snapshots. */
  get heapUsed(): number {
    return [...this.#alive].reduce((sum, worker) => sum + (worker.snapshot?.heapUsed ?? 0), 0);
  }

  /** The sum of the workers' resident memory, as of their last snapshots. */
  get rss(): number {
    return [...this.#alive].reduce((sum, worker) => sum + (worker.snapshot?.rss ?? 0), 0);
  }

  /**
   * The host of `spec` for the daemon: its URI is checked here (the transport
   * loaded, the address parsed); its handler is loaded by the workers when
   * it starts. pipe:// servers and sockets systemd passes in (sd://, fd://)
   * cannot be shared by workers: `DaemonError` invalid.
   */
  async createHost(spec: ServerSpec, origin: ServerOrigin, load: WorkerLoad & { registry: TransportRegistry }): Promise<WorkerHost> {
    const scheme = spec.listen.slice(0, spec.listen.indexOf(':'));
    if (scheme === 'sd' || scheme === 'fd' || scheme === 'pipe') {
      const why = scheme === 'pipe' ? 'a pipe:// server is not shared among workers' : 'the sockets systemd passes in are served without workers';
      throw new DaemonError('invalid', `Cannot add server "${spec.name}" on "${spec.listen}" with workers: ${why} (run it in a daemon with workers: 0)`, { path: 'listen', value: spec.listen, expected: 'a tcp://, tls:// or udp:// address with workers ≥ 1' });
    }
    let sharing: ListenerSharing;
    try {
      const transport = await load.registry.forURI(spec.listen);
      transport.parse(spec.listen);
      if (transport.kind === 'stream') refuseDatagramOptions(spec, transport.scheme);
      if (transport.kind === 'datagram' && spec.handler.type === 'module') throw new DaemonError('unavailable', `Cannot add server "${spec.name}": module handlers serve stream connections`);
      sharing = sharingOf(transport);
    } catch (error) {
      throw asDaemonError(error, spec);
    }
    return new WorkerHost((this.#hostNumber += 1), spec, origin, sharing, this, { configFile: load.configFile, transports: load.transports, timeoutMs: load.timeoutMs });
  }

  /** Asks every worker for a fresh snapshot (with its connections when asked): the control methods read the whole daemon after it. */
  async refresh(withConnections = false): Promise<void> {
    await Promise.all([...this.#alive].map((worker) => worker.call('snapshot', { connections: withConnections }).then((snapshot) => (worker.snapshot = snapshot), () => undefined)));
  }

  /**
   * Has every worker send the events of its connections, or stop (and
   * those started later do the same): they cost two messages to the
   * primary per connection, for nothing while no one subscribes. Resolves
   * once every worker has been told.
   */
  async watchConnections(watch: boolean): Promise<void> {
    this.#watching = watch;
    await Promise.all([...this.#alive].map((worker) => worker.call('watch', { connections: watch }).catch(() => {})));
  }

  /** Sets every worker's log level (and that of workers started later). */
  setLogLevel(level: LogLevel): void {
    this.#logLevel = level;
    for (const worker of this.#alive) void worker.call('setLogLevel', { level }).catch(() => {});
  }

  /**
   * Starts a new generation with the code on disk, hands it every server
   * (it shares the listening sockets, so no connection is refused
   * meanwhile), then lets the old generation finish its connections within
   * each server's `drainMs` and exit. Resolves once the new generation
   * serves; when one of its workers cannot start, the new ones are stopped,
   * the old generation goes on, and it rejects with that worker's error.
   */
  restart(): Promise<WorkersRestartResult> {
    if (this.#closing) return Promise.reject(new DaemonError('busy', 'Cannot restart the workers: the daemon is shutting down'));
    this.#restarting ??= this.#startGeneration().finally(() => (this.#restarting = undefined));
    return this.#restarting;
  }

  /** Drains and stops every worker (each within `drainMs`, default each server's), resolving once the last has exited. */
  async close(drainMs?: number): Promise<void> {
    this.#closing = true;
    clearInterval(this.#probe);
    await Promise.all([...this.#alive].map((worker) => this.#retire(worker, drainMs)));
  }

  turn<T>(change: () => Promise<T>): Promise<T> {
    return this.#turns.run(change);
  }

  holdersFor(sharing: ListenerSharing): WorkerProcess[] {
    const workers = this.#current.filter((worker): worker is WorkerProcess => worker !== undefined);
    return sharing === 'single-worker' ? workers.filter((worker) => worker.slot === 0) : workers;
  }

  placed(host: WorkerHost, placed: boolean): void {
    if (placed) {
      this.#placed.add(host);
      this.#hosts.add(host);
      const before = this.#limits.get(host.name);
      this.#limits.set(host.name, host);
      if (before !== undefined && before !== host) void this.reclaim(host.name);
      this.#log.info({ server: host.name, sharing: host.sharing, workers: this.holdersFor(host.sharing).length, node: process.versions.node }, SHARING_LOG[host.sharing]);
      return;
    }
    this.#placed.delete(host);
    if (this.#limits.get(host.name) === host) this.#limits.delete(host.name);
  }

  stopped(host: WorkerHost): void {
    this.#hosts.delete(host);
  }

  emit(topic: string, event: Record<string, unknown>): void {
    this.#options.publish(topic, event);
  }

  /** Starts a generation of workers and makes it current; the one before it (if any) drains. */
  async #startGeneration(): Promise<WorkersRestartResult> {
    return this.turn(async () => {
      const generation = this.#generation + 1;
      const started = await Promise.allSettled(Array.from({ length: this.#options.count }, (_, slot) => this.#spawn(slot, generation)));
      const fresh = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const failure = started.find((result) => result.status === 'rejected');
      if (failure !== undefined) {
        await Promise.all(fresh.map((worker) => this.#retire(worker, 0)));
        throw (failure as PromiseRejectedResult).reason;
      }
      const old = this.#current.filter((worker): worker is WorkerProcess => worker !== undefined);
      this.#generation = generation;
      this.#current = fresh;
      for (const worker of fresh) worker.state = 'serving';
      if (old.length > 0) this.#log.info({ generation, pids: fresh.map((worker) => worker.pid), draining: old.map((worker) => worker.pid) }, 'workers restarted: the new generation serves, the old one drains');
      for (const worker of old) void this.#retire(worker);
      return { generation, workers: fresh.map((worker) => worker.info()) };
    });
  }

  /** Forks a worker and starts in it every server it should hold; on failure it is stopped and the error thrown. */
  async #spawn(slot: number, generation: number): Promise<WorkerProcess> {
    const worker = new WorkerProcess(cluster.fork({ EVERGREEN_WORKER_LOG_LEVEL: this.#logLevel }), slot, generation, {
      message: (from, message) => this.#onMessage(from, message),
      exit: (from, code, signal) => this.#onExit(from, code, signal),
    });
    this.#alive.add(worker);
    try {
      await worker.ready();
      if (this.#watching) await worker.call('watch', { connections: true });
      for (const host of this.#placed) if (host.sharing !== 'single-worker' || slot === 0) await host.placeOn(worker);
      return worker;
    } catch (error) {
      await this.#retire(worker, 0);
      throw error;
    }
  }

  /** Tells a worker to stop its servers (drain within `drainMs`, default each server's) and exit; killed if it does not exit in time. */
  async #retire(worker: WorkerProcess, drainMs?: number): Promise<void> {
    worker.state = 'draining';
    await worker.call('shutdown', { drainMs }).catch(() => {});
    worker.disconnect();
    await within(worker.exited, EXIT_GRACE_MS);
    worker.kill('SIGKILL');
    await worker.exited;
  }

  #onMessage(worker: WorkerProcess, message: WorkerEventMessage): void {
    // Its places were given back when it exited: a claim arriving after that must not take one.
    if (!worker.alive) return;
    switch (message.kind) {
      case 'claim':
        void this.#decide(worker, message);
        return;
      case 'return':
        this.#admission.giveBack(worker, message.server, message.source, message.places);
        return;
      case 'event':
        this.#options.publish(message.topic, message.event);
        return;
    }
  }

  /**
   * Answers a worker's claim. One that finds no room waits for the workers
   * to give back their unused places of that server (a reclaim round: the
   * server or source is tight from then on) and is decided again: refused
   * only when the places in use leave no room.
   */
  async #decide(worker: WorkerProcess, claim: AdmissionClaimMessage): Promise<void> {
    const { server, source } = claim;
    let decision = this.#admission.claim(worker, server, source, claim.want, this.#limits.get(server)?.admission);
    for (let round = 0; round < MAX_RECLAIM_ROUNDS && 'limit' in decision && (!decision.final || this.#reclaiming.has(server)); round += 1) {
      // A round begun before the server (or source) was tight may have missed places granted meanwhile: one more after it.
      await this.#reclaiming.get(server);
      if (!decision.final) {
        this.#admission.tighten(server, source, decision.limit);
        await this.reclaim(server);
      }
      // Its places were given back when it exited: a claim decided after that must not take one.
      if (!worker.alive) return;
      decision = this.#admission.claim(worker, server, source, claim.want, this.#limits.get(server)?.admission);
    }
    worker.send('reason' in decision ? { kind: 'verdict', id: claim.id, reason: decision.reason } : { kind: 'verdict', id: claim.id, places: decision.places, exact: decision.exact });
  }

  /** Has every worker give back its unused places of `server` and hold them exactly (one round at a time per server; a worker that exits meanwhile has given back all of its places). */
  reclaim(server: string): Promise<void> {
    let round = this.#reclaiming.get(server);
    if (round === undefined) {
      const asked = [...this.#alive].map((worker) =>
        worker.call('reclaim', { server }).then(
          (given) => {
            for (const [source, places] of given) this.#admission.giveBack(worker, server, source, places);
          },
          () => {},
        ),
      );
      round = Promise.all(asked).then(() => void this.#reclaiming.delete(server));
      this.#reclaiming.set(server, round);
    }
    return round;
  }

  #onExit(worker: WorkerProcess, code: number | null, signal: string | null): void {
    this.#alive.delete(worker);
    this.#probes.delete(worker);
    this.#admission.forget(worker);
    for (const host of this.#hosts) host.forget(worker);
    if (this.#closing || worker.state === 'draining' || this.#current[worker.slot] !== worker) return;
    this.#current[worker.slot] = undefined;
    this.#replaced += 1;
    const deaths = Date.now() - worker.startedAt >= STABLE_MS ? 1 : (this.#deaths.get(worker.slot) ?? 0) + 1;
    this.#deaths.set(worker.slot, deaths);
    const delayMs = Math.min(RESPAWN_MAX_MS, RESPAWN_FIRST_MS * 2 ** (deaths - 1));
    this.#log.warn({ worker: worker.pid, slot: worker.slot, code, signal, delayMs }, 'worker exited: its connections are lost; replacing it');
    this.#respawn(worker.slot, worker.generation, delayMs);
  }

  /** Replaces the worker of `slot` after `delayMs`; tries again (backing off) when the new one cannot start. */
  #respawn(slot: number, generation: number, delayMs: number): void {
    setTimeout(() => {
      void this.turn(async () => {
        // A restart may have made a new generation meanwhile: it has its own worker in this slot.
        if (this.#closing || generation !== this.#generation) return;
        const worker = await this.#spawn(slot, generation);
        worker.state = 'serving';
        this.#current[slot] = worker;
        this.#log.info({ worker: worker.pid, slot, generation }, 'worker replaced');
      }).catch((error: unknown) => {
        this.#log.error({ err: error, slot }, 'cannot replace a worker: trying again');
        this.#respawn(slot, generation, Math.min(RESPAWN_MAX_MS, delayMs * 2));
      });
    }, delayMs).unref();
  }

  /** Takes each worker's snapshot; kills one that has left the last request unanswered too long (its exit replaces it). */
  #probeAll(): void {
    const now = Date.now();
    for (const worker of this.#alive) {
      const since = this.#probes.get(worker);
      if (since !== undefined) {
        if (now - since >= WORKER_ANSWER_TIMEOUT_MS) {
          this.#log.error({ worker: worker.pid, waitedMs: now - since }, 'worker not answering: killing it');
          this.#probes.delete(worker);
          worker.kill('SIGKILL');
        }
        continue;
      }
      this.#probes.set(worker, now);
      void worker.call('snapshot', { connections: false }).then(
        (snapshot) => {
          worker.snapshot = snapshot;
          this.#probes.delete(worker);
        },
        () => this.#probes.delete(worker),
      );
    }
  }
}

/** How workers share a server on `transport`: round-robin for a stream one; for a datagram one, `reuse-port` where it binds with `SO_REUSEPORT`, else one worker. */
function sharingOf(transport: Transport): ListenerSharing {
  if (transport.kind === 'stream') return 'round-robin';
  return transport.reusePort === true ? 'reuse-port' : 'single-worker';
}
