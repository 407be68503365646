import type { DaemonStatus } from '../../protocol/results.js';
import type { Logger } from '../logging/logger.js';
import { SerialQueue } from '../serial-queue.js';
import type { Health } from './health.js';
import type { MetricsConfig } from './metrics-config.js';
import { MetricsRegistry, type MetricsSource } from './metrics-registry.js';
import { MetricsServer } from './metrics-server.js';

/**
 * The name a reload's `failed` list gives the metrics endpoint when it
 * cannot bind: never a server's (a server name has no parentheses).
 */
export const METRICS_ENDPOINT = '(metrics)';

/** What `status` shows of the metrics endpoint: its URI and bound address. */
export type MetricsEndpointInfo = NonNullable<DaemonStatus['metrics']>;

/**
 * The daemon's metrics endpoint over its life: the config's `metrics` block
 * applied by difference, like a server — the same `listen` keeps the
 * listener, a changed one rebinds (the old address is let go first), a
 * removed block stops it, an added one starts it. The registry is made on
 * the first start (loading prom-client) and kept, so counters such as the
 * GC histogram go on across rebinds.
 *
 * Errors: `apply` rejects with the `BindError` of an address that cannot be
 * had; what served before goes on serving (a rebind binds the old address
 * again, best effort: logged when that fails too). Once `close`d, `apply`
 * changes nothing. `apply` and `close` run one at a time, in the order
 * called: a close during a start stops what that start binds.
 */
export class MetricsEndpoint {
  readonly #source: MetricsSource;
  readonly #health: Health;
  readonly #log: Logger;
  #registry: Promise<MetricsRegistry> | undefined;
  #server: MetricsServer | undefined;
  /** The listen URI served now. */
  #listen: string | undefined;
  #closed = false;
  readonly #changes = new SerialQueue();

  constructor(source: MetricsSource, health: Health, log: Logger) {
    this.#source = source;
    this.#health = health;
    this.#log = log;
  }

  /** Makes the endpoint match `config` (undefined: off); see the class for failures. */
  apply(config: MetricsConfig | undefined): Promise<void> {
    return this.#changes.run(async () => {
      await this.#apply(config?.listen);
      if (this.#registry !== undefined) (await this.#registry).workerLabel = config?.workerLabel ?? false;
    });
  }

  async #apply(listen: string | undefined): Promise<void> {
    if (this.#closed || listen === this.#listen) return;
    const old = this.#listen;
    await this.#stop();
    if (listen === undefined) return;
    try {
      await this.#start(listen);
    } catch (error) {
      if (old !== undefined) await this.#start(old).catch((again: unknown) => this.#log.error({ err: again, listen: old }, 'metrics: cannot listen at the old address again: off'));
      throw error;
    }
    this.#log.info({ address: this.#server?.address }, 'metrics endpoint listening');
  }

  /** The endpoint in force, or null when off. */
  info(): MetricsEndpointInfo | null {
    if (this.#listen === undefined) return null;
    return { listen: this.#listen, address: this.#server?.address ?? null };
  }

  /** Stops the endpoint for good, after the change under way. Idempotent. */
  close(): Promise<void> {
    return this.#changes.run(() => {
      this.#closed = true;
      return this.#stop();
    });
  }

  async #start(listen: string): Promise<void> {
    this.#registry ??= MetricsRegistry.create(this.#source);
    this.#server = await MetricsServer.listen(listen, await this.#registry, this.#health, this.#log);
    this.#listen = listen;
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#listen = undefined;
    await server?.close();
  }
}
