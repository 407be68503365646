import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../src/ctl/daemon-client.js';
import { RpcError, RpcErrorCode } from '../src/protocol/rpc-error.js';
import type { ServerSpec } from '../src/protocol/server-spec.js';
import { cleanUp, createSandbox, startDaemon, type DaemonProcess } from './daemon-process.js';

/**
 * A state save that fails part-way — the file grows past a size limit, or
 * the disk is full — must leave the previous state.json whole and the
 * change reported as not applied. An in-place write (truncate, then write)
 * fails both: the file is cut at the point of failure.
 */

const clients: DaemonClient[] = [];
const mounts: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  // The daemons go first (by pid): a mount in use cannot be unmounted.
  await cleanUp();
  for (const mount of mounts.splice(0)) {
    execFileSync('umount', [mount]);
    rmdirSync(mount);
  }
});

/** A small server, and one whose spec takes some 12 KiB of state (a long allow list). */
const SMALL: ServerSpec = { name: 'small', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };
const LARGE: ServerSpec = {
  name: 'large',
  listen: 'tcp://127.0.0.1:0',
  handler: { type: 'echo' },
  allow: Array.from({ length: 400 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`),
};

/** Whether this machine lets the tests mount a tmpfs (root with CAP_SYS_ADMIN), or why not. */
function tmpfsSupport(): true | string {
  const probe = mkdtempSync(join(tmpdir(), 'evergreen-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return true;
  } catch (error) {
    return `mount -t tmpfs is not allowed here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const tmpfs = tmpfsSupport();
if (tmpfs !== true) console.warn(`state-write-failure.test.ts: skipping the full-disk case: ${tmpfs}; the size-limit case covers a save that fails part-way`);

/** A daemon with no servers whose state dir is `stateDir`, and a control client of it that holds SMALL (saved). */
async function daemonWithSmall(stateDir?: string): Promise<{ daemon: DaemonProcess; client: DaemonClient; stateFile: string }> {
  const sandbox = await createSandbox();
  await sandbox.writeConfig({ servers: [] });
  const dir = stateDir ?? sandbox.stateDir;
  const daemon = startDaemon(sandbox, ['--config', sandbox.configFile, '--state-dir', dir]);
  await daemon.started();
  const client = await DaemonClient.connect(sandbox.socket);
  clients.push(client);
  await client.addServer(SMALL);
  return { daemon, client, stateFile: join(dir, 'state.json') };
}

/** What adding LARGE answers now: the RPC error it is refused with. */
async function refusedAdd(client: DaemonClient): Promise<RpcError> {
  const error = await client.addServer(LARGE).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

/** The refusal says the change is not applied, the state file is as it was, and no server was added. */
async function expectNotApplied(client: DaemonClient, error: RpcError, code: string, stateFile: string, before: string): Promise<void> {
  expect(error.code).toBe(RpcErrorCode.REFUSED);
  expect(error.message).toContain('the change is not applied');
  expect(error.data).toEqual({ code });
  expect(readFileSync(stateFile, 'utf8')).toBe(before);
  expect((await client.listServers()).map((server) => server.name)).toEqual(['small']);
}

describe('a state save that fails part-way', () => {
  it('past a file size limit (EFBIG): the previous state.json stays whole, the change is refused and undone, and a later save works', async () => {
    const { daemon, client, stateFile } = await daemonWithSmall();
    const before = readFileSync(stateFile, 'utf8');
    // The daemon may now write files of 4 KiB at most (soft limit; Node ignores SIGXFSZ, so a write past it fails EFBIG).
    execFileSync('prlimit', ['--pid', String(daemon.pid), '--fsize=4096:']);

    const error = await refusedAdd(client);

    await expectNotApplied(client, error, 'EFBIG', stateFile, before);
    expect(readdirSync(join(stateFile, '..')).sort()).toEqual(['state.json', 'state.json.lock']);
    execFileSync('prlimit', ['--pid', String(daemon.pid), '--fsize=unlimited:']);
    await client.addServer(LARGE);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ runtime: { small: {}, large: { spec: { allow: LARGE.allow } } } });
  });

  it.skipIf(tmpfs !== true)('on a full disk (ENOSPC, a 64 KiB tmpfs): the previous state.json stays whole, the change is refused and undone', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'evergreen-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mount]);
    mounts.push(mount);
    const { client, stateFile } = await daemonWithSmall(mount);
    const before = readFileSync(stateFile, 'utf8');
    const filler = join(mount, 'filler');
    const { bavail, bsize } = statfsSync(mount);
    writeFileSync(filler, Buffer.alloc(bavail * bsize));
    expect(statfsSync(mount).bavail).toBe(0);

    const error = await refusedAdd(client);

    await expectNotApplied(client, error, 'ENOSPC', stateFile, before);
    expect(readdirSync(mount).sort()).toEqual(['filler', 'state.json', 'state.json.lock']);
    rmSync(filler);
    await client.addServer(LARGE);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ runtime: { small: {}, large: {} } });
  });
});
