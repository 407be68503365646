import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenPipe, transport as pipe } from '@evergreen/pipe';
import { listenOn } from '@evergreen/stream-core';
import { transport as tcp } from '@evergreen/tcp';
import { BindError } from '../hosting/bind-error.js';
import type { Logger } from '../logging/logger.js';
import { negotiateFormat } from './exposition-format.js';
import type { Health } from './health.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** The most HTTP connections open at once: scrapers and probes are few; Node closes more at once. */
export const MAX_METRICS_CONNECTIONS = 64;
/** How long a request's headers, and the whole request, may take (10 s): a slow client holds nothing for long. */
export const METRICS_REQUEST_TIMEOUT_MS = 10_000;

const TEXT = 'text/plain; charset=utf-8';

/**
 * The metrics endpoint's HTTP server (`node:http`), on a `tcp://` or
 * `pipe://` URI (a Unix socket bound as `PipeServer` binds one: mode 0600, a
 * stale file replaced). It answers GET and HEAD:
 *
 * - `/metrics`: the registry, as Prometheus text 0.0.4 or OpenMetrics 1.0.0
 *   by the `Accept` header (`negotiateFormat`), each with its Content-Type;
 * - `/healthz`: 200 while the daemon serves its control socket, else 503;
 * - `/readyz`: 200 while `health.ready`, else 503;
 *
 * other paths 404, other methods 405 (with `Allow`). A query string is
 * ignored. Limits: {@link MAX_METRICS_CONNECTIONS} connections,
 * {@link METRICS_REQUEST_TIMEOUT_MS} per request.
 *
 * Errors: `listen` rejects with a `BindError` (the OS's `code`) when the
 * address cannot be had; a scrape whose rendering fails gets a 500 and is
 * logged.
 */
export class MetricsServer {
  readonly #http: Server;
  readonly #uri: string;
  #removeSocketFile: () => void = () => {};

  private constructor(uri: string, registry: MetricsRegistry, health: Health, log: Logger) {
    this.#uri = uri;
    this.#http = createServer({ requestTimeout: METRICS_REQUEST_TIMEOUT_MS, headersTimeout: METRICS_REQUEST_TIMEOUT_MS }, (req, res) => {
      respond(req, res, registry, health).catch((error: unknown) => {
        log.error({ err: error, url: req.url }, 'metrics: a scrape failed');
        if (!res.headersSent) send(res, 500, TEXT, `Cannot render the metrics: ${(error as Error).message}\n`);
        else res.destroy();
      });
    });
    this.#http.maxConnections = MAX_METRICS_CONNECTIONS;
  }

  /** Binds `uri` (a valid tcp or pipe URI) and serves; rejects with a `BindError`. */
  static async listen(uri: string, registry: MetricsRegistry, health: Health, log: Logger): Promise<MetricsServer> {
    const server = new MetricsServer(uri, registry, health, log);
    try {
      await server.#listen();
    } catch (error) {
      server.#http.close();
      throw new BindError(`Cannot start the metrics endpoint on ${uri}: ${(error as Error).message}`, error);
    }
    return server;
  }

  /** The bound address as a URI (port 0 resolved). */
  get address(): string {
    const bound = this.#http.address();
    return typeof bound === 'string' || bound === null ? this.#uri : tcp.format(bound as AddressInfo);
  }

  /** Stops listening (removing a socket file), closes every connection, and resolves once closed. */
  close(): Promise<void> {
    this.#removeSocketFile();
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    return closed;
  }

  async #listen(): Promise<void> {
    if (this.#uri.startsWith('tcp:')) {
      await listenOn(this.#http, tcp.parse(this.#uri));
    } else {
      this.#removeSocketFile = await listenPipe(this.#http, pipe.parse(this.#uri));
    }
  }
}

async function respond(req: IncomingMessage, res: ServerResponse, registry: MetricsRegistry, health: Health): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, TEXT, `Cannot ${req.method ?? '?'} here: only GET and HEAD\n`);
  }
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/metrics') {
    const format = negotiateFormat(req.headers.accept);
    return send(res, 200, registry.contentType(format), await registry.render(format));
  }
  if (path === '/healthz') return health.live ? send(res, 200, TEXT, 'ok\n') : send(res, 503, TEXT, 'not serving the control socket\n');
  if (path === '/readyz') return health.ready ? send(res, 200, TEXT, 'ready\n') : send(res, 503, TEXT, 'not ready\n');
  send(res, 404, TEXT, 'Not found: try /metrics, /healthz or /readyz\n');
}

/** Sends a whole response; Node leaves the body out for HEAD. */
function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
