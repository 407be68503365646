import { z } from 'zod';
import { transport as pipe } from '@evergreen/pipe';
import { transport as tcp } from '@evergreen/tcp';

/** The schemes the metrics endpoint listens on. */
const SCHEMES = /^(tcp|pipe):\/\//;

/**
 * The config's opt-in `metrics` block: where `/metrics`, `/healthz` and
 * `/readyz` are served over HTTP. `listen` is a `tcp://HOST:PORT` or
 * `pipe:///PATH` URI, parsed by the same transport code as a server's
 * `listen`, so a bad one is a config error (path `metrics.listen`) before
 * anything binds. Absent: no endpoint, and prom-client is never loaded.
 * `workerLabel` (default false) splits the per-server metrics by worker.
 */
export const metricsConfigSchema = z
  .strictObject({
    listen: z
      .string()
      .regex(SCHEMES, 'expected a tcp or pipe URI like "tcp://127.0.0.1:9464"')
      .superRefine((uri, ctx) => {
        if (!SCHEMES.test(uri)) return; // the regex said so already
        try {
          (uri.startsWith('tcp:') ? tcp : pipe).parse(uri);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message, input: uri });
        }
      })
      .describe('Where to serve /metrics, /healthz and /readyz: tcp://HOST:PORT or pipe:///PATH'),
    workerLabel: z
      .boolean()
      .default(false)
      .describe("With workers: also report each server's metrics per worker (label worker, its pid) and each worker's memory; off: the whole daemon's only"),
  })
  .describe('The Prometheus and health endpoint (absent: off)');

/** A validated `metrics` block. */
export type MetricsConfig = z.output<typeof metricsConfigSchema>;
