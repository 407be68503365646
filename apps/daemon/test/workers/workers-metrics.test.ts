import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp } from '../daemon-process.js';
import { hasPromtool, httpRequest, parseText, promtoolCheckMetrics, skipNote, valueOf, type Family } from '../observe/scrape.js';
import { closeClients, holdOnBothWorkers, startWorkersDaemon } from './workers-daemon.js';

afterEach(async () => {
  closeClients();
  await cleanUp();
});

const ECHO = { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };

/** Scrapes `address` until `check` holds (bounded: the workers' snapshots come every second); resolves the last scrape, parsed and as text. */
async function scrapeUntil(address: string, what: string, check: (families: Family[]) => boolean): Promise<{ families: Family[]; text: string }> {
  for (let tries = 0; tries < 100; tries += 1) {
    const text = (await httpRequest(address, '/metrics')).body;
    const families = parseText(text);
    if (check(families)) return { families, text };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

/** The samples named `name` in `families`. */
function samplesOf(families: readonly Family[], name: string): { labels: Record<string, string>; value: number }[] {
  return families.flatMap((family) => family.samples.filter((sample) => sample.name === name));
}

describe('the metrics endpoint of a daemon with workers', () => {
  it(`reports the whole daemon, and each worker only once metrics.workerLabel asks (applied by a reload); promtool passes both${skipNote(hasPromtool, 'promtool is not installed here (Debian package prometheus)')}`, async () => {
    const config = { workers: 2, servers: [ECHO], metrics: { listen: 'tcp://127.0.0.1:0' } };
    const { sandbox, control, addresses } = await startWorkersDaemon(config);
    const address = (await control.status()).metrics!.address!;
    const held = await holdOnBothWorkers(control, addresses.echo!);
    const pids = [...new Set(held.map((each) => each.info.worker!))].sort();
    const perWorker = Object.fromEntries(pids.map((pid) => [String(pid), held.filter((each) => each.info.worker === pid).length]));

    // The whole daemon: one series per server, summed over the workers; no worker label anywhere.
    const { families: whole, text: wholeText } = await scrapeUntil(address, 'the held connections to be counted', (families) => valueOf(families, 'evergreen_server_current_connections', { server: 'echo' }) === held.length);
    expect(valueOf(whole, 'evergreen_server_connections_total', { server: 'echo' })).toBe(held.length);
    expect(valueOf(whole, 'evergreen_workers')).toBe(2);
    expect(valueOf(whole, 'evergreen_worker_replacements_total')).toBe(0);
    expect(whole.flatMap((family) => family.samples).filter((sample) => 'worker' in sample.labels)).toEqual([]);

    await sandbox.writeConfig({ ...config, metrics: { ...config.metrics, workerLabel: true } });
    expect(await control.reload()).toMatchObject({ unchanged: ['echo'], failed: [] });
    // Per worker: a series for each, labelled with its pid, that sum to the whole; and each worker's memory.
    const { families: split, text: splitText } = await scrapeUntil(address, 'per-worker series', (families) => samplesOf(families, 'evergreen_server_current_connections').length === 2);
    const current = samplesOf(split, 'evergreen_server_current_connections');
    expect(Object.fromEntries(current.map((sample) => [sample.labels.worker, sample.value]))).toEqual(perWorker);
    expect(current.every((sample) => sample.labels.server === 'echo')).toBe(true);
    const accepted = samplesOf(split, 'evergreen_server_connections_total');
    expect(accepted.map((sample) => sample.labels.worker).sort()).toEqual(pids.map(String));
    expect(accepted.reduce((sum, sample) => sum + sample.value, 0)).toBe(held.length);
    const memory = samplesOf(split, 'evergreen_worker_resident_memory_bytes');
    expect(memory.map((sample) => sample.labels).sort((a, b) => a.worker!.localeCompare(b.worker!))).toEqual(pids.map((pid) => ({ worker: String(pid), generation: '1' })));
    expect(memory.every((sample) => sample.value > 0)).toBe(true);
    // Whether the server listens is the server's, not a worker's.
    expect(valueOf(split, 'evergreen_server_up', { server: 'echo' })).toBe(1);
    // Both expositions pass promtool (Debian's prometheus), where it is installed.
    if (hasPromtool) for (const text of [wholeText, splitText]) expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
  });
});
