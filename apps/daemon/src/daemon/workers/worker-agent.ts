import { TransportRegistry } from '../../transports/transport-registry.js';
import { configBaseDir } from '../config/daemon-paths.js';
import { DaemonError } from '../daemon-error.js';
import { HostBuilder } from '../hosting/host-builder.js';
import type { HostContext, HostedServer } from '../hosting/hosted-server.js';
import type { Logger } from '../logging/logger.js';
import { PassedSockets } from '../systemd/passed-sockets.js';
import { AdmissionLeases } from './admission-leases.js';
import { toWorkerFailure, type WorkerCallMessage, type WorkerCalls, type WorkerMethod, type WorkerSnapshot } from './worker-call.js';
import type { AdmissionVerdictMessage, WorkerEventMessage } from './worker-event.js';
import { getHeapStatistics } from 'node:v8';
import type { TlsReloadResult } from '../../protocol/tls-results.js';
import { reloadCredentials } from '../tls/credential-reload.js';

/** What a worker sends the primary. */
type Outgoing = WorkerEventMessage | { kind: 'reply'; id: number; result?: unknown; failure?: ReturnType<typeof toWorkerFailure> };

/**
 * A worker process's side of the daemon: the hosts the primary asked it to
 * run, by the primary's host number, and the answers to the primary's calls
 * ({@link WorkerCalls}). Its log records go to the primary, and its
 * connections' events too while the primary asks for them ('watch'); each new stream connection takes its place under the whole
 * server's limits from the places the primary leased to this worker
 * ({@link AdmissionLeases}), claiming more from the primary when it holds
 * none unused.
 */
export class WorkerAgent {
  readonly #hosts = new Map<number, HostedServer>();
  readonly #log: Logger;
  readonly #send: (message: Outgoing) => void;
  readonly #claims = new Map<number, (verdict: AdmissionVerdictMessage) => void>();
  readonly #leases: AdmissionLeases;
  #claimNumber = 0;
  #watching = false;
  #connectionNumber = 0;
  #builders = new Map<string, { builder: HostBuilder; registry: TransportRegistry }>();
  /** The builder of each host (it keeps a forward's upstream TLS credentials). */
  readonly #builtBy = new WeakMap<HostedServer, HostBuilder>();
  readonly #context: HostContext;

  constructor(log: Logger, send: (message: Outgoing) => void) {
    this.#log = log;
    this.#send = send;
    this.#leases = new AdmissionLeases({
      ask: (server, source, want) => this.#ask(server, source, want),
      giveBack: (server, source, places) => send({ kind: 'return', server, source, places }),
    });
    this.#context = {
      log,
      // A server's state is the primary's to publish; its connections are this worker's, sent only while someone subscribes.
      emit: (topic, event) => {
        if (topic === 'connections' && this.#watching) send({ kind: 'event', topic, event: { ...event, worker: process.pid } });
      },
      nextConnectionId: () => `${process.pid}.${(this.#connectionNumber += 1)}`,
      claim: (server, source) => this.#leases.claim(server, source),
      release: (server, source) => this.#leases.release(server, source),
    };
  }

  /** Handles one message from the primary: a call, or the verdict on a claim. */
  handle(message: WorkerCallMessage | AdmissionVerdictMessage): void {
    if (message.kind === 'verdict') {
      const settle = this.#claims.get(message.id);
      this.#claims.delete(message.id);
      settle?.(message);
      return;
    }
    void this.#answer(message);
  }

  async #answer(message: WorkerCallMessage): Promise<void> {
    try {
      const result = await this.#call(message.method, message.params);
      this.#send({ kind: 'reply', id: message.id, result: result ?? null });
    } catch (error) {
      this.#send({ kind: 'reply', id: message.id, failure: toWorkerFailure(error) });
    }
  }

  async #call<M extends WorkerMethod>(method: M, params: WorkerCalls[M]['params']): Promise<WorkerCalls[M]['result']> {
    const p = params as Record<string, never>;
    switch (method) {
      case 'start':
        return this.#start(params as WorkerCalls['start']['params']);
      case 'pause':
        await this.#host(p.host).pause(p.mode);
        return null;
      case 'resume':
        await this.#host(p.host).resume();
        return null;
      case 'update':
        this.#host(p.host).update(p.spec, p.origin);
        return null;
      case 'stop':
        await this.#stop(p.host, p.drainMs);
        return null;
      case 'reloadTls':
        return this.#reloadTls(p.host);
      case 'closeConnection':
        return [...this.#hosts.values()].some((host) => host.closeConnection(p.id));
      case 'setLogLevel':
        this.#log.level = p.level;
        for (const host of this.#hosts.values()) host.setLogLevel(p.level);
        return null;
      case 'snapshot':
        return this.#snapshot(p.connections);
      case 'watch':
        this.#watching = p.connections;
        return null;
      case 'reclaim':
        return this.#leases.reclaim(p.server);
      case 'shutdown':
        await Promise.all([...this.#hosts.keys()].map((host) => this.#stop(host, p.drainMs)));
        return null;
    }
    throw new DaemonError('invalid', `Cannot answer the primary's call "${String(method)}": no such method`);
  }

  async #start(params: WorkerCalls['start']['params']): Promise<WorkerCalls['start']['result']> {
    const { builder, registry } = this.#builderFor(params.configFile, params.transports);
    const host = await builder.build({ ...params.spec, listen: params.listen }, params.origin, registry, params.timeoutMs, { reusePort: params.sharing === 'reuse-port' });
    await host.start(params.paused);
    this.#hosts.set(params.host, host);
    this.#builtBy.set(host, builder);
    return host.info();
  }

  async #stop(number: number, drainMs: number | undefined): Promise<void> {
    const host = this.#hosts.get(number);
    if (host === undefined) return;
    await host.stop(drainMs);
    this.#hosts.delete(number);
  }

  /** The TLS credential reload of host `number`, with the builder that built it (it knows a forward's upstream credentials). */
  #reloadTls(number: number): Promise<TlsReloadResult[]> {
    const host = this.#host(number);
    return reloadCredentials(host, this.#builtBy.get(host)!, this.#log);
  }

  #snapshot(withConnections: boolean): WorkerSnapshot {
    const snapshot: WorkerSnapshot = { rss: process.memoryUsage.rss(), heapUsed: getHeapStatistics().used_heap_size, hosts: {} };
    if (withConnections) snapshot.connections = {};
    for (const [number, host] of this.#hosts) {
      const { address, tls } = host.info();
      snapshot.hosts[number] = { stats: host.stats(), address, ...(tls !== undefined && { tls }) };
      if (snapshot.connections !== undefined) snapshot.connections[number] = [...host.connections].map((record) => record.info());
    }
    return snapshot;
  }

  #host(number: number): HostedServer {
    const host = this.#hosts.get(number);
    if (host === undefined) throw new DaemonError('not-found', `Cannot find host ${number} in worker ${process.pid}`);
    return host;
  }

  /** One builder (and transport registry) per config file and transports map: a reload may change either. */
  #builderFor(configFile: string | null, transports: Record<string, string>): { builder: HostBuilder; registry: TransportRegistry } {
    const key = JSON.stringify([configFile, transports]);
    let entry = this.#builders.get(key);
    if (entry === undefined) {
      const baseDir = configBaseDir(configFile);
      entry = { builder: new HostBuilder({ log: this.#log, context: this.#context, passed: new PassedSockets(), baseDir }), registry: new TransportRegistry(transports, baseDir) };
      this.#builders.set(key, entry);
    }
    return entry;
  }

  #ask(server: string, source: string, want: number): Promise<AdmissionVerdictMessage> {
    const id = (this.#claimNumber += 1);
    return new Promise((resolve) => {
      this.#claims.set(id, resolve);
      this.#send({ kind: 'claim', id, server, source, want });
    });
  }
}
