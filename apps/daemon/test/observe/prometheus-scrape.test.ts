import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/ctl/daemon-client.js';
import { cleanUp, createSandbox, exchange, startDaemon, targetOf } from '../daemon-process.js';
import { hasPromtool, skipNote } from './scrape.js';

/**
 * The README's Prometheus scrape config, checked the way an operator would
 * use it: `promtool check config` passes it, and a real Prometheus
 * (Debian's `prometheus`, which asks for OpenMetrics first) run with it,
 * its target pointed at a real evergreend, scrapes the daemon's counts.
 */

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const hasPrometheus = spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
/** The README's target and interval, which the test points at the daemon and shortens. */
const README_TARGET = "targets: ['127.0.0.1:9464']";
const README_INTERVAL = 'scrape_interval: 15s';

let prometheus: ChildProcess | undefined;
afterEach(async () => {
  if (prometheus?.pid !== undefined && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = once(prometheus, 'exit');
    process.kill(prometheus.pid, 'SIGKILL');
    await exited;
  }
  prometheus = undefined;
  await cleanUp();
});

/** The ```yaml block of the README's "### Prometheus" section. */
function readmeScrapeConfig(): string {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('\n### Prometheus\n'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error('The README has no ```yaml block under "### Prometheus"');
  return block[1]!;
}

/** Polls (bounded) until `read` resolves a value. */
async function until<T>(what: string, read: () => Promise<T | undefined>, tries = 300, everyMs = 100): Promise<T> {
  for (let i = 0; i < tries; i += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`Gave up waiting for ${what} after ${tries} tries`);
}

/** Starts `prometheus` with `configFile`, its web UI on a free loopback port; resolves that address, read from its log. */
async function startPrometheus(configFile: string, dataDir: string): Promise<string> {
  const child = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, '--web.listen-address=127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus = child;
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
  return until('Prometheus to listen', async () => /msg="Listening on" address=(127\.0\.0\.1:\d+)/.exec(log)?.[1]);
}

/** One sample of an instant query, or undefined while there is none. */
async function query(web: string, expression: string): Promise<string | undefined> {
  const response = await fetch(`http://${web}/api/v1/query?query=${encodeURIComponent(expression)}`);
  const body = (await response.json()) as { data: { result: { value: [number, string] }[] } };
  return body.data.result[0]?.value[1];
}

describe("the README's Prometheus scrape config", () => {
  it.skipIf(!hasPromtool)(`passes promtool check config${skipNote(hasPromtool, 'promtool is not installed here (Debian package prometheus)')}`, async () => {
    const sandbox = await createSandbox();
    const file = `${sandbox.dir}/prometheus.yml`;
    writeFileSync(file, readmeScrapeConfig());
    const run = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
  });

  it.skipIf(!hasPrometheus)(`lets a real Prometheus scrape a daemon's counts${skipNote(hasPrometheus, 'prometheus is not installed here (Debian package prometheus)')}`, async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }], metrics: { listen: 'tcp://127.0.0.1:0' } });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [echo] = await daemon.started();
    expect(await exchange(targetOf(echo!), 'scraped\n')).toBe('scraped\n');
    const control = await DaemonClient.connect(sandbox.socket);
    const metrics = (await control.status()).metrics?.address;
    control.close();
    expect(metrics).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);

    const config = readmeScrapeConfig();
    expect(config).toContain(README_TARGET);
    expect(config).toContain(README_INTERVAL);
    const file = `${sandbox.dir}/prometheus.yml`;
    writeFileSync(file, config.replace(README_TARGET, `targets: ['${metrics!.slice('tcp://'.length)}']`).replace(README_INTERVAL, 'scrape_interval: 1s'));
    const web = await startPrometheus(file, `${sandbox.dir}/prometheus-data`);

    expect(await until('a scrape of the daemon', () => query(web, 'up{job="evergreend"}'))).toBe('1');
    expect(await query(web, 'evergreen_server_connections_total{server="echo"}')).toBe('1');
    expect(await query(web, 'evergreen_server_bytes_in_total{server="echo"}')).toBe(String('scraped\n'.length));
    expect(await query(web, 'evergreen_server_up{server="echo"}')).toBe('1');
    expect(Number(await query(web, 'process_cpu_seconds_total{job="evergreend"}'))).toBeGreaterThan(0);
  });
});
