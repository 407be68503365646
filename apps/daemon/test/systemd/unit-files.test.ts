import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildHandle, DAEMON_BIN, cleanUp, createSandbox, exchange } from '../daemon-process.js';
import { freePort, startActivated } from './activation.js';

afterEach(cleanUp);

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL('../../examples/systemd/', import.meta.url));
const RECEIVER = fileURLToPath(new URL('../fixtures/notify-receiver.py', import.meta.url));

/** A unit file's settings: section → key → every value given (a key may repeat). */
type Unit = Map<string, Map<string, string[]>>;

function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const at = line.indexOf('=');
    if (section === undefined || at < 0) throw new Error(`Cannot parse unit line "${line}"`);
    const key = line.slice(0, at).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(at + 1).trim()]);
  }
  return unit;
}

/** The one value of `section`.`key`; fails when it is absent or given twice. */
function setting(unit: Unit, section: string, key: string): string {
  const values = unit.get(section)?.get(key) ?? [];
  expect(values, `${section}.${key}`).toHaveLength(1);
  return values[0]!;
}

async function examples(): Promise<{ service: Unit; socket: Unit; config: { servers: { name: string; listen: string; drainMs?: number }[]; shutdownDelayMs?: number; metrics?: unknown } }> {
  const read = (name: string) => readFile(join(EXAMPLES, name), 'utf8');
  return { service: parseUnit(await read('evergreend.service')), socket: parseUnit(await read('evergreend.socket')), config: JSON.parse(await read('evergreend.json')) };
}

/** The value after `flag` on an ExecStart= line. */
function flagOf(execStart: string, flag: string): string {
  const words = execStart.split(/\s+/);
  const at = words.indexOf(flag);
  expect(at, `${flag} in ExecStart`).toBeGreaterThan(0);
  return words[at + 1]!;
}

describe('examples/systemd: the units and the config they run', () => {
  it('the service is Type=notify with NotifyAccess=all, reloads with SIGHUP, waits out the longest drain, runs sandboxed in its own directories', async () => {
    const { service, config } = await examples();
    expect(setting(service, 'Service', 'Type')).toBe('notify');
    expect(setting(service, 'Service', 'NotifyAccess')).toBe('all');
    expect(setting(service, 'Service', 'ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    const longestMs = Math.max(...config.servers.map((server) => server.drainMs ?? 10_000)) + (config.shutdownDelayMs ?? 0);
    expect(Number(setting(service, 'Service', 'TimeoutStopSec')) * 1000).toBeGreaterThan(longestMs);
    for (const [key, value] of [['DynamicUser', 'yes'], ['ProtectSystem', 'strict'], ['NoNewPrivileges', 'yes'], ['StateDirectory', 'evergreen'], ['RuntimeDirectory', 'evergreen'], ['RuntimeDirectoryMode', '0700']]) {
      expect(setting(service, 'Service', key!), key).toBe(value);
    }
    // Everything evergreend writes lies in the directories systemd makes writable for it.
    const execStart = setting(service, 'Service', 'ExecStart');
    expect(flagOf(execStart, '--state-dir')).toBe('/var/lib/evergreen');
    expect(dirname(flagOf(execStart, '--socket'))).toBe('/run/evergreen');
    expect(dirname(flagOf(execStart, '--config'))).toBe(`/etc/${setting(service, 'Service', 'ConfigurationDirectory')}`);
  });

  it('the socket unit names its descriptor as the config\'s sd:// server does', async () => {
    const { socket, config } = await examples();
    const names = config.servers.map((server) => /^sd:\/\/(.+)$/.exec(server.listen)?.[1]).filter((name) => name !== undefined);
    expect(names).toEqual([setting(socket, 'Socket', 'FileDescriptorName')]);
    expect(setting(socket, 'Socket', 'Service')).toBe('evergreend.service');
  });

  it('systemd-analyze verify finds nothing to say (ExecStart pointed at this checkout)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evergreen-units-'));
    try {
      for (const name of ['evergreend.service', 'evergreend.socket']) {
        const text = await readFile(join(EXAMPLES, name), 'utf8');
        await writeFile(join(dir, name), text.replace('/usr/local/bin/evergreend', DAEMON_BIN));
      }
      const { stdout, stderr } = await run('systemd-analyze', ['--man=no', 'verify', './evergreend.socket', './evergreend.service'], { cwd: dir });
      expect({ stdout, stderr }).toEqual({ stdout: '', stderr: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs as the units say: the socket passed in by name is served, READY=1 is sent', async () => {
    const { socket, config } = await examples();
    const sandbox = await createSandbox();
    const notify = join(sandbox.dir, 'notify.sock');
    const receiver = new ChildHandle([RECEIVER, notify], sandbox.env, 'python3');
    await receiver.waitForLine('the receiver listening', (line) => (line.includes('"listening"') ? true : undefined));
    // The example's config, but for a metrics port free here; ListenStream=7007 becomes a free loopback port.
    await sandbox.writeConfig({ ...config, metrics: { listen: 'tcp://127.0.0.1:0' } });
    const port = await freePort('tcp', '127.0.0.1');
    const daemon = await startActivated(sandbox, [{ listen: `127.0.0.1:${port}`, name: setting(socket, 'Socket', 'FileDescriptorName') }], ['--config', sandbox.configFile, '--state-dir', join(sandbox.dir, 'state')], { NOTIFY_SOCKET: notify });
    expect(await exchange({ port }, 'activated\n')).toBe('activated\n');
    await daemon.started();
    await receiver.waitForLine('READY=1', (line) => (line.includes('READY=1') ? true : undefined));
  });
});
