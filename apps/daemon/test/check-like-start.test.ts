import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, createSandbox, runDaemon, type Sandbox } from './daemon-process.js';

afterEach(cleanUp);

const echo = (name: string) => ({ name, listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } });

/** `evergreend --check` and a real start with the same flags: how each ended. A start that succeeded is stopped by cleanUp. */
async function checkAndStart(sandbox: Sandbox, flags: string[]) {
  const check = await runDaemon(sandbox, ['--check', ...flags]);
  const start = await runDaemon(sandbox, flags);
  return { check, start };
}

describe('evergreend --check refuses what a start refuses, with the same message and exit code', () => {
  it('a control socket directory other users may enter (0755)', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('one')] });
    const socketDir = join(sandbox.dir, 'open');
    await mkdir(socketDir, { mode: 0o755 });
    const flags = ['--config', sandbox.configFile, '--socket', join(socketDir, 'control.sock')];

    const { check, start } = await checkAndStart(sandbox, flags);

    const message = `evergreend: Cannot use the control directory "${socketDir}": its mode is 0755, which lets other users in (expected 0700)\n`;
    expect(start).toMatchObject({ code: 1, stderr: message });
    expect(check).toMatchObject({ code: 1, stderr: message, stdout: '' });
  });

  it('a control socket path whose private bind path is over the Unix limit', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('one')] });
    // The socket fits in 107 bytes; the path it is first bound at (`<dir>/.pipe-XXXXXX/s`) does not.
    const socketDir = join(sandbox.dir, 'd'.repeat(Math.max(1, 98 - sandbox.dir.length)));
    await mkdir(socketDir, { mode: 0o700 });
    const socket = join(socketDir, 's.sock');
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(107);
    const flags = ['--config', sandbox.configFile, '--socket', socket];

    const { check, start } = await checkAndStart(sandbox, flags);

    expect(start.code).toBe(1);
    expect(start.stderr).toContain('over the limit of');
    expect(check).toMatchObject({ code: 1, stderr: start.stderr });
  });

  it('a state dir that is a file', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('one')] });
    const stateDir = join(sandbox.dir, 'state-file');
    await writeFile(stateDir, '');
    const flags = ['--config', sandbox.configFile, '--socket', sandbox.socket, '--state-dir', stateDir];

    const { check, start } = await checkAndStart(sandbox, flags);

    expect(start.code).toBe(1);
    expect(check.code).toBe(1);
    expect(check.stderr).toBe(`evergreend: Cannot use the state dir "${stateDir}": it is not a directory\n`);
  });

  it('a state file that does not validate', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('one')] });
    await mkdir(sandbox.stateDir, { recursive: true, mode: 0o700 });
    await writeFile(sandbox.stateFile, '{ "version": 1, "paused": { "one": "sideways" } }');
    const flags = ['--config', sandbox.configFile, '--socket', sandbox.socket];

    const { check, start } = await checkAndStart(sandbox, flags);

    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`Invalid state "${sandbox.stateFile}"`);
    expect(check).toMatchObject({ code: 2, stderr: start.stderr });
  });

  it('a server added at runtime (in the state file) whose module cannot be loaded; the runtime servers are listed', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('one')] });
    await mkdir(sandbox.stateDir, { recursive: true, mode: 0o700 });
    const state = (spec: object) => JSON.stringify({ version: 1, runtime: { added: { spec, configBase: null } }, paused: {} });
    const flags = ['--config', sandbox.configFile, '--socket', sandbox.socket];

    await writeFile(sandbox.stateFile, state(echo('added')));
    const valid = await runDaemon(sandbox, ['--check', ...flags]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('  one: tcp://127.0.0.1:0 -> echo\n');
    expect(valid.stdout).toContain('  added: tcp://127.0.0.1:0 -> echo (added at runtime)\n');

    await writeFile(sandbox.stateFile, state({ ...echo('added'), handler: { type: 'module', path: join(sandbox.dir, 'missing.mjs') } }));
    const { check, start } = await checkAndStart(sandbox, flags);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('Cannot add server "added": Cannot load handler module');
    expect(check).toMatchObject({ code: 2, stderr: start.stderr });
  });

  it('--check itself creates, takes and removes nothing', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo('one')] });
    const before = await readdir(sandbox.dir, { recursive: true });
    const result = await runDaemon(sandbox, ['--check', '--config', sandbox.configFile, '--socket', sandbox.socket]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`control socket: ${sandbox.socket} (its directory would be created, mode 0700)`);
    expect(await readdir(sandbox.dir, { recursive: true })).toEqual(before);
    expect(existsSync(sandbox.stateDir)).toBe(false);
  });
});
