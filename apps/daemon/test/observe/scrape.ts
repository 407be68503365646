import { spawnSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { endpoint } from '../host/harness.js';

/**
 * What the metrics tests read /metrics with: plain `node:http` requests, and
 * parsers nobody here wrote — the npm package `parse-prometheus-text-format`
 * for the text format, the Prometheus Python client's reference parser for
 * OpenMetrics, and `promtool check metrics` (Debian's `prometheus`) — so a
 * mistake in the exposition cannot hide behind our own reading of it.
 */

/** The bound on one request. */
const REQUEST_TIMEOUT_MS = 15_000;

/** A whole HTTP response. */
export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends `method path` to the endpoint at `uri` (tcp:// or pipe://) and reads the whole response (bounded). */
export function httpRequest(uri: string, path: string, options: { method?: string; accept?: string } = {}): Promise<Response> {
  const where = endpoint(uri);
  const headers = options.accept === undefined ? {} : { accept: options.accept };
  return new Promise((resolve, reject) => {
    const req = request({ ...('path' in where ? { socketPath: where.path } : where), path, method: options.method ?? 'GET', headers, timeout: REQUEST_TIMEOUT_MS });
    req.on('timeout', () => req.destroy(new Error(`No answer to ${path} from ${uri} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.end();
  });
}

/** A sample as both parsers give it: the sample's own name (OpenMetrics counters end in `_total`), labels, value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its name as the format writes it, type (lower case), samples. */
export interface Family {
  name: string;
  type: string;
  samples: Sample[];
}

/** The text format (0.0.4), parsed by `parse-prometheus-text-format`. Histograms are left out (only their buckets would be samples). */
export function parseText(text: string): Family[] {
  return parsePrometheusTextFormat(text).map((family) => ({
    name: family.name,
    type: family.type.toLowerCase(),
    samples: family.type === 'HISTOGRAM' || family.type === 'SUMMARY' ? [] : family.metrics.map((metric) => ({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) })),
  }));
}

const PARSE_OPENMETRICS = fileURLToPath(new URL('../fixtures/parse-openmetrics.py', import.meta.url));

/** A python3 that has the Prometheus client (Debian's `python3-prometheus-client` is in /usr/bin's), or undefined. */
export const openMetricsPython = ['python3', '/usr/bin/python3'].find((python) => spawnSync(python, ['-c', 'import prometheus_client.openmetrics.parser'], { stdio: 'ignore' }).status === 0);

/** OpenMetrics text parsed by the Prometheus Python client's strict parser; throws with its message when the text is not valid OpenMetrics. */
export function parseOpenMetrics(text: string): Family[] {
  if (openMetricsPython === undefined) throw new Error('Cannot parse OpenMetrics: no python3 with prometheus_client');
  const run = spawnSync(openMetricsPython, [PARSE_OPENMETRICS], { input: text, encoding: 'utf8', timeout: REQUEST_TIMEOUT_MS });
  if (run.status !== 0) throw new Error(`The OpenMetrics parser refused the text (exit ${run.status}):\n${run.stderr}`);
  const families = JSON.parse(run.stdout) as (Omit<Family, 'samples'> & { samples: (Omit<Sample, 'value'> & { value: string })[] })[];
  return families.map((family) => ({ ...family, samples: family.samples.map((sample) => ({ ...sample, value: Number(sample.value) })) }));
}

/** Whether `promtool` is on PATH. */
export const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** `promtool check metrics` on `text`: its exit code and what it said (nothing when the text is clean). */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: REQUEST_TIMEOUT_MS });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** What a test adds to its name when `available` is false, saying what is missing (printed on stderr too, so every reporter shows it); '' otherwise. */
export function skipNote(available: boolean, missing: string): string {
  if (available) return '';
  const note = ` — SKIPPED: ${missing}`;
  console.warn(`metrics tests${note}`);
  return note;
}

/** The value of the sample named `name` with exactly `labels` in `families`; throws when there is none. */
export function valueOf(families: readonly Family[], name: string, labels: Record<string, string> = {}): number {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name === name && JSON.stringify(sortKeys(sample.labels)) === JSON.stringify(sortKeys(labels))) return sample.value;
    }
  }
  throw new Error(`No sample ${name}${JSON.stringify(labels)}`);
}

function sortKeys(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
