import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, createSandbox, exchange, runDaemon, startDaemon, targetOf } from '../daemon-process.js';
import { ctl } from '../ctl/ctl-helpers.js';

afterEach(cleanUp);

/**
 * A ConfigMap volume as the kubelet writes it (its AtomicWriter):
 * `<dir>/..<timestamp>/FILE` holds the data, `<dir>/..data` links to that
 * directory, `<dir>/FILE` links to `..data/FILE`. An update writes a new
 * timestamped directory, points `..data_tmp` at it, renames `..data_tmp`
 * over `..data` (atomic), and removes the old directory.
 */
class ConfigMapVolume {
  readonly dir: string;
  readonly file: string;
  #generation = 0;
  #current: string | undefined;

  constructor(dir: string, readonly name = 'evergreend.json') {
    this.dir = dir;
    this.file = join(dir, name);
  }

  async write(config: unknown): Promise<void> {
    this.#generation += 1;
    const data = `..2025_01_01_00_00_0${this.#generation}.${1000 + this.#generation}`;
    await mkdir(join(this.dir, data), { recursive: true });
    await writeFile(join(this.dir, data, this.name), JSON.stringify(config));
    await symlink(data, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.#current === undefined) await symlink(join('..data', this.name), this.file);
    else await rm(join(this.dir, this.#current), { recursive: true });
    this.#current = data;
  }
}

const echo = (name: string) => ({ name, listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } });

describe('--watch-config', () => {
  it('reloads by difference when a ConfigMap-style symlink swap changes the config; a bad one changes nothing', async () => {
    const sandbox = await createSandbox();
    const volume = new ConfigMapVolume(join(sandbox.dir, 'configmap'));
    await volume.write({ servers: [echo('kept')] });
    const daemon = startDaemon(sandbox, ['--config', volume.file, '--watch-config']);
    const [kept] = await daemon.started();
    await daemon.waitForLog('watching the config\'s directory for changes to evergreend.json');

    await volume.write({ servers: [echo('kept'), echo('added')] });
    const reloaded = await daemon.waitForLog('config file changed: config reloaded');
    expect(reloaded.report).toMatchObject({ added: ['added'], unchanged: ['kept'], removed: [], failed: [] });
    expect(await exchange(targetOf(kept!), 'kept\n')).toBe('kept\n');
    const servers = JSON.parse((await ctl(['--socket', sandbox.socket, 'servers', '--json'])).stdout) as { name: string; address: string }[];
    const added = servers.find((server) => server.name === 'added')!.address;
    expect(await exchange(targetOf(added), 'added\n')).toBe('added\n');

    await volume.write({ servers: [{ ...echo('kept'), maxConnections: 0 }] });
    const refused = await daemon.waitForLog('config file changed: config not reloaded, the old one stays');
    expect((refused.err as { message: string }).message).toContain('servers[0].maxConnections');
    expect(await exchange(targetOf(kept!), 'still\n')).toBe('still\n');
    // One reload per new content: the swap's several events (and the refused one's) never reload twice.
    expect(daemon.lines.filter((line) => line.includes('config file changed: config reloaded'))).toHaveLength(1);
  });

  it('needs a config file (exit 2)', async () => {
    const sandbox = await createSandbox();
    const run = await runDaemon(sandbox, ['--socket', sandbox.socket, '--watch-config']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--watch-config: there is no config file to watch (give --config FILE)');
  });
});
