import type * as PromClient from 'prom-client';
import type { ServerInfo, ServerStatsInfo, WorkerInfo } from '../../protocol/results.js';
import { VERSION } from '../../version.js';
import { REFUSAL_REASONS } from '../hosting/admission.js';
import type { ExpositionFormat } from './exposition-format.js';

/** One worker's share of a server's counters. */
export interface WorkerShare {
  /** The worker's pid. */
  worker: number;
  stats: ServerStatsInfo;
}

/** What the metrics are read from, once per scrape. */
export interface MetricsSource {
  /** The servers hosted now, with their state and counters. */
  servers(): readonly ServerInfo[];
  /** Control connections open now. */
  controlConnections(): number;
  /** The worker processes running now (none with `workers: 0`). */
  workers(): readonly WorkerInfo[];
  /** Workers replaced since the start (died, or stopped answering). */
  workersReplaced(): number;
  /** Each worker's share of server `name`'s counters, as of its last snapshot (none with `workers: 0`). */
  sharesOf(name: string): readonly WorkerShare[];
}

/**
 * prom-client's default metrics left out: gauges whose names end in `_total`,
 * which `promtool check metrics` rejects ("non-counter metrics should not
 * have _total suffix"). `nodejs_active_handles`, `nodejs_active_requests` and
 * `nodejs_active_resources` still give the same counts, by type.
 */
const LEFT_OUT = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The per-server counters (label `server`), named after HAProxy's exporter: name, help, value. */
const SERVER_COUNTERS: readonly [string, string, (stats: ServerStatsInfo) => number][] = [
  ['evergreen_server_connections_total', 'Connections accepted and served, since the server was started.', (stats) => stats.accepted],
  ['evergreen_server_bytes_in_total', 'Bytes received from clients.', (stats) => stats.bytesIn],
  ['evergreen_server_bytes_out_total', 'Bytes sent to clients.', (stats) => stats.bytesOut],
  ['evergreen_server_handler_errors_total', 'Connections whose handler failed.', (stats) => stats.errors],
];

/**
 * The daemon's Prometheus registry (prom-client): its default process and
 * Node metrics (less {@link LEFT_OUT}) and the `evergreen_*` metrics, by
 * server (label `server`; never a connection id or a source address):
 * `evergreen_server_current_connections`, `…_connections_total`,
 * `…_refused_connections_total{reason}`, `…_bytes_in_total`,
 * `…_bytes_out_total`, `…_handler_errors_total`, `…_up` (1 when listening),
 * plus `evergreen_build_info{version,node}`, `evergreen_control_connections`,
 * `evergreen_workers` and `evergreen_worker_replacements_total`. With
 * {@link workerLabel}, every per-server metric but `…_up` is reported per
 * worker instead (label `worker`: its pid; a retired worker's series go
 * with it), and so is `evergreen_worker_resident_memory_bytes{worker,generation}`.
 *
 * Values are read at scrape time from the counters the daemon keeps anyway
 * (one `servers()` snapshot per scrape): serving connections costs nothing
 * more. A removed server's series go with it; a restarted one's start again
 * from 0 (a counter reset, which `rate()` handles).
 *
 * `create` loads prom-client on first use (a daemon without metrics never
 * does); `render` rejects only if a collector throws.
 */
export class MetricsRegistry {
  readonly #prom: typeof PromClient;
  readonly #registry: PromClient.Registry;
  readonly #source: MetricsSource;
  #servers: readonly ServerInfo[] = [];
  /** The workers of this scrape (none with `workers: 0`). */
  #workers: readonly WorkerInfo[] = [];
  /** Whether the per-server metrics are reported per worker (config `metrics.workerLabel`); read at each scrape. */
  workerLabel = false;

  private constructor(prom: typeof PromClient, source: MetricsSource) {
    this.#prom = prom;
    this.#source = source;
    this.#registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: this.#registry });
    for (const name of LEFT_OUT) this.#registry.removeSingleMetric(name);
    this.#defineServerMetrics();
    this.#defineDaemonMetrics();
  }

  /** A registry reading `source`. */
  static async create(source: MetricsSource): Promise<MetricsRegistry> {
    return new MetricsRegistry(await import('prom-client'), source);
  }

  /** The `Content-Type` of `format`. */
  contentType(format: ExpositionFormat): string {
    const { Registry } = this.#prom;
    return format === 'openmetrics' ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
  }

  /** Every metric, read now, in `format`. */
  render(format: ExpositionFormat): Promise<string> {
    this.#servers = this.#source.servers();
    this.#workers = this.#source.workers();
    return format === 'openmetrics' ? this.#openMetrics() : this.#registry.metrics();
  }

  /**
   * prom-client renders OpenMetrics by renaming each counter in place (it
   * drops `_total` from the registered metric itself), which would leave
   * every text scrape after it without the suffix. So OpenMetrics is rendered
   * from a registry of the day holding views of the same metrics, named for
   * OpenMetrics: the registered ones are never touched.
   */
  #openMetrics(): Promise<string> {
    const { Registry } = this.#prom;
    const registry = new Registry<PromClient.OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const metric of this.#registry.getMetricsAsArray()) registry.registerMetric(openMetricsView(metric as unknown as Readable));
    return registry.metrics();
  }

  #defineServerMetrics(): void {
    const { Counter, Gauge } = this.#prom;
    const registers = [this.#registry];
    for (const [name, help, value] of SERVER_COUNTERS) {
      const counter: PromClient.Counter<'server' | 'worker'> = new Counter({
        name,
        help,
        labelNames: ['server', 'worker'],
        registers,
        collect: () => this.#eachShare(counter, (labels, stats) => counter.inc(labels, value(stats))),
      });
    }
    const refused: PromClient.Counter<'server' | 'worker' | 'reason'> = new Counter({
      name: 'evergreen_server_refused_connections_total',
      help: 'Connections refused at once, by reason (denied, maxConnections, maxPerSource, paused).',
      labelNames: ['server', 'worker', 'reason'],
      registers,
      collect: () =>
        this.#eachShare(refused, (labels, stats) => {
          for (const reason of REFUSAL_REASONS) refused.inc({ ...labels, reason }, stats.refused[reason]);
        }),
    });
    const current: PromClient.Gauge<'server' | 'worker'> = new Gauge({
      name: 'evergreen_server_current_connections',
      help: 'Connections open now (UDP: client sessions).',
      labelNames: ['server', 'worker'],
      registers,
      collect: () => this.#eachShare(current, (labels, stats) => current.set(labels, stats.active)),
    });
    const up: PromClient.Gauge<'server'> = new Gauge({
      name: 'evergreen_server_up',
      help: 'Whether the server is listening (1) or not: paused, starting or stopping (0).',
      labelNames: ['server'],
      registers,
      collect: () => this.#eachServer(up, (server) => up.set({ server: server.name }, server.state === 'listening' ? 1 : 0)),
    });
  }

  #defineDaemonMetrics(): void {
    const { Gauge } = this.#prom;
    const registers = [this.#registry];
    new Gauge({ name: 'evergreen_build_info', help: 'Always 1: the evergreend version and the Node version it runs on.', labelNames: ['version', 'node'], registers }).set(
      { version: VERSION, node: process.version },
      1,
    );
    const control: PromClient.Gauge = new Gauge({
      name: 'evergreen_control_connections',
      help: 'Control socket connections open now (evergreenctl and other clients).',
      registers,
      collect: () => control.set(this.#source.controlConnections()),
    });
    this.#defineWorkerMetrics();
  }

  #defineWorkerMetrics(): void {
    const { Counter, Gauge } = this.#prom;
    const registers = [this.#registry];
    const workers: PromClient.Gauge = new Gauge({
      name: 'evergreen_workers',
      help: 'Worker processes running now, draining ones included (0 without workers).',
      registers,
      collect: () => workers.set(this.#workers.length),
    });
    const replaced: PromClient.Counter = new Counter({
      name: 'evergreen_worker_replacements_total',
      help: 'Workers replaced since the start because they died or stopped answering.',
      registers,
      collect: () => {
        replaced.reset();
        replaced.inc(this.#source.workersReplaced());
      },
    });
    const rss: PromClient.Gauge<'worker' | 'generation'> = new Gauge({
      name: 'evergreen_worker_resident_memory_bytes',
      help: 'Resident memory of each worker process, as of its last snapshot (reported with metrics.workerLabel).',
      labelNames: ['worker', 'generation'],
      registers,
      collect: () => {
        rss.reset();
        if (!this.workerLabel) return;
        for (const worker of this.#workers) rss.set({ worker: String(worker.pid), generation: String(worker.generation) }, worker.rss);
      },
    });
  }

  /**
   * Clears `metric`, then calls `each` with every server's counters of this
   * scrape — or, with {@link workerLabel} and workers running, each worker's share
   * of them, labelled with its pid.
   */
  #eachShare(metric: { reset(): void }, each: (labels: { server: string; worker?: string }, stats: ServerStatsInfo) => void): void {
    this.#eachServer(metric, (server) => {
      if (!this.workerLabel || this.#workers.length === 0) return each({ server: server.name }, server.stats);
      for (const share of this.#source.sharesOf(server.name)) each({ server: server.name, worker: String(share.worker) }, share.stats);
    });
  }

  /** Clears `metric` (a removed server leaves no series behind), then calls `each` for every server of this scrape. */
  #eachServer(metric: { reset(): void }, each: (server: ServerInfo) => void): void {
    metric.reset();
    for (const server of this.#servers) each(server);
  }
}

/** What the views need of a registered metric. */
interface Readable {
  name: string;
  type: string;
  get(): Promise<object>;
}

/** A metric as OpenMetrics names it: a counter without `_total` (prom-client adds it back on each sample). */
function openMetricsView(metric: Readable): PromClient.Metric {
  const name = metric.type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name;
  const view: Readable = { name, type: metric.type, get: async () => ({ ...(await metric.get()), name }) };
  return view as unknown as PromClient.Metric;
}
