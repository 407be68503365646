import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/daemon/config/config-file.js';
import type { DaemonConfigInput } from '../../src/daemon/config/config-schema.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { BindError } from '../../src/daemon/hosting/bind-error.js';
import { createLogger } from '../../src/daemon/logging/logger.js';
import { VERSION } from '../../src/version.js';
import { connectOutcome as outcomeOf, holdPort, targetOf, cleanUp } from '../daemon-process.js';
import { afterTest, Client, expectRefused, loopbackServer, rejection, releaseAll, startDaemonWith, tempDir, type ServersInput } from '../host/harness.js';
import { hasPromtool, httpRequest, openMetricsPython, parseOpenMetrics, parseText, promtoolCheckMetrics, skipNote, valueOf, type Family } from './scrape.js';

afterEach(async () => {
  await releaseAll();
  await cleanUp();
});

const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
/** What Prometheus 2.x sends when it scrapes. */
const PROMETHEUS_2_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const METRICS_ON_ANY_PORT = { listen: 'tcp://127.0.0.1:0' };

/** A handler module whose even-numbered connections throw (handler errors). */
const FLAKY_HANDLER = fileURLToPath(new URL('../host/fixtures/every-second-throws.mjs', import.meta.url));
/** A handler module whose import never finishes: a server built from it is never started. */
const HUNG_MODULE = fileURLToPath(new URL('../host/fixtures/import-never-ends.mjs', import.meta.url));

/** The labels an `evergreen_` sample may carry: never a connection id or a source address. */
const ALLOWED_LABELS = new Set(['server', 'reason', 'version', 'node']);

/** The metrics endpoint's bound address of `daemon`. */
function metricsAddress(daemon: Daemon): string {
  const address = daemon.status().metrics?.address;
  if (address === undefined || address === null) throw new Error('The metrics endpoint is not bound');
  return address;
}

/** Polls (bounded) until `check` holds. */
async function until(what: string, check: () => boolean | Promise<boolean>, tries = 500, everyMs = 10): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`Gave up waiting for ${what} after ${tries} tries`);
}

/** How a connect to `uri` ends: 'connected', or the error code. */
function connectOutcome(uri: string): Promise<string> {
  return outcomeOf(targetOf(uri));
}

/**
 * A daemon with metrics on a free port after real traffic: `echo` served 3
 * closed connections of 6 bytes each way and holds a fourth (3 bytes each
 * way); `closed` refused one connection (denied); `flaky` served one
 * connection and had one handler error.
 */
async function daemonAfterTraffic(): Promise<{ daemon: Daemon; held: Client; address: string }> {
  const servers: ServersInput = [
    loopbackServer('echo'),
    loopbackServer('closed', 'echo', { deny: ['127.0.0.0/8'] }),
    { name: 'flaky', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: FLAKY_HANDLER } },
  ];
  const daemon = await startDaemonWith({ servers, metrics: METRICS_ON_ANY_PORT });
  const uri = (name: string): string => daemon.server(name).address!;
  for (let i = 0; i < 3; i += 1) {
    const client = await Client.connect(uri('echo'));
    expect(await client.exchange('hello\n')).toBe('hello\n');
    client.socket.end();
    await client.ending();
  }
  const held = await Client.connect(uri('echo'));
  expect(await held.exchange('hi\n')).toBe('hi\n');
  await expectRefused(await Client.connect(uri('closed')));
  const served = await Client.connect(uri('flaky'));
  expect(await served.exchange('ok\n')).toBe('ok\n');
  served.socket.end();
  await served.ending();
  await (await Client.connect(uri('flaky'))).ending();
  await until('only the held connection to be open', () => daemon.status().connections === 1 && daemon.stats().totals.errors === 1);
  return { daemon, held, address: metricsAddress(daemon) };
}

/** Expects the counters of {@link daemonAfterTraffic} in `families`, with `total` the suffix every counter sample has. */
function expectTrafficCounted(families: readonly Family[]): void {
  const value = (name: string, labels: Record<string, string>): number => valueOf(families, name, labels);
  expect(value('evergreen_server_connections_total', { server: 'echo' })).toBe(4);
  expect(value('evergreen_server_current_connections', { server: 'echo' })).toBe(1);
  expect(value('evergreen_server_bytes_in_total', { server: 'echo' })).toBe(3 * 6 + 3);
  expect(value('evergreen_server_bytes_out_total', { server: 'echo' })).toBe(3 * 6 + 3);
  expect(value('evergreen_server_refused_connections_total', { server: 'closed', reason: 'denied' })).toBe(1);
  expect(value('evergreen_server_refused_connections_total', { server: 'closed', reason: 'maxConnections' })).toBe(0);
  expect(value('evergreen_server_connections_total', { server: 'closed' })).toBe(0);
  expect(value('evergreen_server_connections_total', { server: 'flaky' })).toBe(2);
  expect(value('evergreen_server_handler_errors_total', { server: 'flaky' })).toBe(1);
  expect(value('evergreen_server_handler_errors_total', { server: 'echo' })).toBe(0);
  for (const server of ['echo', 'closed', 'flaky']) expect(value('evergreen_server_up', { server })).toBe(1);
  expect(value('evergreen_build_info', { version: VERSION, node: process.version })).toBe(1);
}

describe('/metrics', () => {
  it('serves the Prometheus text format 0.0.4 by default: parse-prometheus-text-format reads the counters of real traffic', async () => {
    const { address } = await daemonAfterTraffic();
    const response = await httpRequest(address, '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(TEXT_TYPE);
    const families = parseText(response.body);
    expectTrafficCounted(families);
    const types = Object.fromEntries(families.map((family) => [family.name, family.type]));
    expect(types).toMatchObject({
      evergreen_server_connections_total: 'counter',
      evergreen_server_refused_connections_total: 'counter',
      evergreen_server_bytes_in_total: 'counter',
      evergreen_server_bytes_out_total: 'counter',
      evergreen_server_handler_errors_total: 'counter',
      evergreen_server_current_connections: 'gauge',
      evergreen_server_up: 'gauge',
      evergreen_build_info: 'gauge',
      evergreen_control_connections: 'gauge',
      // prom-client's default process and Node metrics
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_active_handles: 'gauge',
    });
    // The gauges named like counters, which promtool rejects, are left out.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) expect(types).not.toHaveProperty(name);
    // Every counter ends in _total; a label is never a connection id or a source address.
    for (const family of families) {
      if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
      if (!family.name.startsWith('evergreen_')) continue;
      for (const sample of family.samples) for (const label of Object.keys(sample.labels)) expect(ALLOWED_LABELS).toContain(label);
    }
  });

  it.skipIf(!hasPromtool)(`passes promtool check metrics${skipNote(hasPromtool, 'promtool is not installed here (Debian package prometheus)')}`, async () => {
    const { address } = await daemonAfterTraffic();
    const text = (await httpRequest(address, '/metrics')).body;
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
  });

  it('serves OpenMetrics 1.0.0 when Accept asks for it (as Prometheus does): counters named without _total, samples with it, # EOF last', async () => {
    const { address } = await daemonAfterTraffic();
    const response = await httpRequest(address, '/metrics', { accept: PROMETHEUS_2_ACCEPT });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(OPENMETRICS_TYPE);
    expect(response.body.endsWith('\n# EOF\n')).toBe(true);
    const lines = response.body.split('\n');
    expect(lines).toContain('# TYPE evergreen_server_connections counter');
    expect(lines).toContain('evergreen_server_connections_total{server="echo"} 4');
    expect(lines).not.toContain('# TYPE evergreen_server_connections_total counter');
  });

  it.skipIf(openMetricsPython === undefined)(
    `OpenMetrics passes the Prometheus Python client's strict parser with the same counts${skipNote(openMetricsPython !== undefined, 'no python3 with prometheus_client here (Debian package python3-prometheus-client)')}`,
    async () => {
      const { address } = await daemonAfterTraffic();
      const families = parseOpenMetrics((await httpRequest(address, '/metrics', { accept: PROMETHEUS_2_ACCEPT })).body);
      expectTrafficCounted(families);
      const types = Object.fromEntries(families.map((family) => [family.name, family.type]));
      expect(types).toMatchObject({ evergreen_server_connections: 'counter', evergreen_server_refused_connections: 'counter', evergreen_server_up: 'gauge', process_cpu_seconds: 'counter' });
    },
  );

  it('an OpenMetrics scrape leaves the text format alone (prom-client renames counters in place when it renders OpenMetrics)', async () => {
    const { address } = await daemonAfterTraffic();
    const typeLines = (body: string): string[] => body.split('\n').filter((line) => line.startsWith('# TYPE'));
    const before = typeLines((await httpRequest(address, '/metrics')).body);
    await httpRequest(address, '/metrics', { accept: 'application/openmetrics-text' });
    const after = (await httpRequest(address, '/metrics')).body;
    expect(typeLines(after)).toEqual(before);
    expect(before).toContain('# TYPE evergreen_server_connections_total counter');
    expect(before).toContain('# TYPE process_cpu_seconds_total counter');
    if (hasPromtool) expect(promtoolCheckMetrics(after)).toEqual({ status: 0, output: '' });
  });

  it('reads the servers at each scrape: a paused server is down, a removed one is gone', async () => {
    const daemon = await startDaemonWith({ servers: [loopbackServer('stays'), loopbackServer('paused'), loopbackServer('removed')], metrics: METRICS_ON_ANY_PORT });
    const address = metricsAddress(daemon);
    await daemon.pauseServer('paused', 'refuse');
    await daemon.removeServer('removed', 0);
    const families = parseText((await httpRequest(address, '/metrics')).body);
    expect(valueOf(families, 'evergreen_server_up', { server: 'stays' })).toBe(1);
    expect(valueOf(families, 'evergreen_server_up', { server: 'paused' })).toBe(0);
    const servers = families.flatMap((family) => family.samples).map((sample) => sample.labels.server).filter((server) => server !== undefined);
    expect(new Set(servers)).toEqual(new Set(['stays', 'paused']));
  });
});

describe('/healthz, /readyz and the rest', () => {
  it('/healthz is 503 until the control socket is attached and 200 while it is served', async () => {
    const daemon = await startDaemonWith({ servers: [], metrics: METRICS_ON_ANY_PORT });
    const address = metricsAddress(daemon);
    expect((await httpRequest(address, '/healthz')).status).toBe(503);
    let serving = true;
    daemon.health.attachControl({ serving: () => serving, connections: () => 3 });
    expect(await httpRequest(address, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(valueOf(parseText((await httpRequest(address, '/metrics')).body), 'evergreen_control_connections')).toBe(3);
    serving = false;
    expect((await httpRequest(address, '/healthz')).status).toBe(503);
  });

  it('/readyz is 503 while a configured server is still being started, and the endpoint goes with the daemon', async () => {
    const dir = await tempDir();
    const input: DaemonConfigInput = { servers: [{ name: 'hung', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: HUNG_MODULE } }], metrics: { listen: `pipe://${dir}/metrics.sock` }, log: { level: 'silent' } };
    const daemon = new Daemon({ config: parseConfig(input, 'test'), configFile: null, stateDir: dir, log: createLogger('silent') });
    afterTest(() => daemon.shutdown(0));
    // The shutdown below cuts this start short, and it may then reject
    // ("the daemon is shutting down"): that is not what this test is about.
    daemon.start().catch(() => undefined);
    const address = `pipe://${dir}/metrics.sock`;
    await until('the metrics endpoint to listen', () => existsSync(`${dir}/metrics.sock`));
    expect(await httpRequest(address, '/readyz')).toMatchObject({ status: 503, body: 'not ready\n' });
    expect((await httpRequest(address, '/metrics')).status).toBe(200);
    await daemon.shutdown(0);
    expect(existsSync(`${dir}/metrics.sock`)).toBe(false);
  });

  it('/readyz is 200 once every server is bound and 503 from the first moment of a shutdown, through the drain', async () => {
    const daemon = await startDaemonWith({ servers: [loopbackServer('echo', 'echo', { drainMs: 30_000 })], metrics: METRICS_ON_ANY_PORT });
    const address = metricsAddress(daemon);
    expect(await httpRequest(address, '/readyz')).toMatchObject({ status: 200, body: 'ready\n' });
    const held = await Client.connect(daemon.server('echo').address!);
    expect(await held.exchange('before\n')).toBe('before\n');

    const stopped = daemon.shutdown();
    expect((await httpRequest(address, '/readyz')).status).toBe(503);
    // Draining: the held connection is still served, and so is /metrics.
    expect(await held.exchange('during\n')).toBe('during\n');
    const families = parseText((await httpRequest(address, '/metrics')).body);
    expect(valueOf(families, 'evergreen_server_current_connections', { server: 'echo' })).toBe(1);
    expect(valueOf(families, 'evergreen_server_up', { server: 'echo' })).toBe(0);

    held.socket.end();
    await stopped;
    expect(await connectOutcome(address)).toBe('ECONNREFUSED');
  });

  it('answers HEAD like GET without a body, ignores a query string, says 404 for other paths and 405 (with Allow) for other methods', async () => {
    const daemon = await startDaemonWith({ servers: [], metrics: METRICS_ON_ANY_PORT });
    const address = metricsAddress(daemon);
    const head = await httpRequest(address, '/metrics', { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-type']).toBe(TEXT_TYPE);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect((await httpRequest(address, '/readyz?verbose=1')).status).toBe(200);
    for (const path of ['/', '/metrics/', '/health', '/favicon.ico']) expect((await httpRequest(address, path)).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await httpRequest(address, '/metrics', { method });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD');
    }
  });
});

describe('the metrics block', () => {
  it('is applied by difference on reload: added starts, unchanged keeps the listener, changed rebinds, removed stops', async () => {
    const dir = await tempDir();
    const servers = [loopbackServer('echo')];
    const daemon = await startDaemonWith({ servers });
    expect(daemon.status().metrics).toBeNull();
    const reload = (metrics?: { listen: string }) => daemon.reload({ config: parseConfig({ servers, metrics, log: { level: 'silent' } }, 'test') });

    expect((await reload(METRICS_ON_ANY_PORT)).failed).toEqual([]);
    const tcp = metricsAddress(daemon);
    expect((await httpRequest(tcp, '/readyz')).status).toBe(200);

    await reload(METRICS_ON_ANY_PORT);
    expect(metricsAddress(daemon)).toBe(tcp);

    const pipe = `pipe://${dir}/metrics.sock`;
    expect((await reload({ listen: pipe })).failed).toEqual([]);
    expect(daemon.status().metrics).toEqual({ listen: pipe, address: pipe });
    expect((await httpRequest(pipe, '/readyz')).status).toBe(200);
    expect(await connectOutcome(tcp)).toBe('ECONNREFUSED');

    await reload(undefined);
    expect(daemon.status().metrics).toBeNull();
    expect(existsSync(`${dir}/metrics.sock`)).toBe(false);
    expect(daemon.server('echo').state).toBe('listening');
  });

  it('a changed listen that cannot be had is reported like a server that fails to start, and the old endpoint goes on', async () => {
    const dir = await tempDir();
    const pipe = `pipe://${dir}/metrics.sock`;
    const servers = [loopbackServer('echo')];
    const daemon = await startDaemonWith({ servers, metrics: { listen: pipe } });
    const taken = `tcp://127.0.0.1:${await holdPort()}`;

    const report = await daemon.reload({ config: parseConfig({ servers, metrics: { listen: taken }, log: { level: 'silent' } }, 'test') });

    expect(report.failed).toEqual([{ name: '(metrics)', message: expect.stringContaining(`Cannot start the metrics endpoint on ${taken}:`) as unknown as string }]);
    expect(report.failed[0]!.message).toMatch(/EADDRINUSE/);
    expect(daemon.status().metrics).toEqual({ listen: pipe, address: pipe });
    expect((await httpRequest(pipe, '/healthz')).status).toBe(503);
  });

  it('an address that cannot be had stops the start with a BindError, as a server\'s does, and nothing is left listening', async () => {
    const port = await holdPort();
    const dir = await tempDir();
    const listen = `pipe://${dir}/echo.sock`;
    const input = { servers: [{ name: 'echo', listen, handler: { type: 'echo' as const } }], metrics: { listen: `tcp://127.0.0.1:${port}` }, log: { level: 'silent' as const } };
    const daemon = new Daemon({ config: parseConfig(input, 'test'), configFile: null, stateDir: dir, log: createLogger('silent') });
    afterTest(() => daemon.shutdown(0));

    const error = await rejection(daemon.start());

    expect(error).toBeInstanceOf(BindError);
    expect(error).toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining(`Cannot start the metrics endpoint on tcp://127.0.0.1:${port}:`) as unknown as string });
    expect(existsSync(`${dir}/echo.sock`)).toBe(false);
  });

  it('is validated with the config: a tcp or pipe URI the transports parse, nothing else', () => {
    const issuesOf = (metrics: unknown): unknown => {
      try {
        parseConfig({ servers: [], metrics }, 'test');
        return 'valid';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).issues.map((issue) => issue.path);
      }
    };
    expect(issuesOf({ listen: 'tcp://127.0.0.1:9464' })).toBe('valid');
    expect(issuesOf({ listen: 'tcp://[::1]:9464' })).toBe('valid');
    expect(issuesOf({ listen: 'pipe:///run/evergreen/metrics.sock' })).toBe('valid');
    expect(issuesOf({ listen: 'udp://127.0.0.1:9464' })).toEqual(['metrics.listen']);
    expect(issuesOf({ listen: 'tcp://127.0.0.1' })).toEqual(['metrics.listen']);
    expect(issuesOf({ listen: 'pipe://relative/path' })).toEqual(['metrics.listen']);
    expect(issuesOf({ listen: 'http://127.0.0.1:9464/metrics' })).toEqual(['metrics.listen']);
    expect(issuesOf({ listen: 'tcp://127.0.0.1:9464', path: '/m' })).toEqual(['metrics.path']);
    expect(issuesOf({})).toEqual(['metrics.listen']);
  });
});
