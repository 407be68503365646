import { existsSync, lstatSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectOutcome, createSandbox, exchange, lockOwner, startDaemon, startNode, targetOf, type Sandbox } from './daemon-process.js';

const HOLD_UNIX_SOCKET = fileURLToPath(new URL('fixtures/hold-unix-socket.mjs', import.meta.url));
const LOCK_RACE = fileURLToPath(new URL('fixtures/lock-race.mjs', import.meta.url));
/** Processes racing for one stale lock, and how many times the race is run. */
const RACERS = 4;
const RACES = 5;

afterEach(cleanUp);

async function echoConfig(sandbox: Sandbox): Promise<string[]> {
  await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }] });
  return ['--config', sandbox.configFile];
}

describe('one daemon per control socket', () => {
  it('a second daemon on the same socket says "already running" with the first pid, exits non-zero, and the first still serves', async () => {
    const sandbox = await createSandbox();
    const args = await echoConfig(sandbox);
    const first = startDaemon(sandbox, args);
    const [address] = await first.started();
    expect(await lockOwner(sandbox.lockFile)).toBe(first.pid);

    const second = startDaemon(sandbox, args);
    const exit = await second.waitForExit();
    expect(exit.code).toBe(1);
    expect(second.stderr).toBe(`evergreend: Cannot start evergreend on "${sandbox.socket}": already running (pid ${first.pid})\n`);
    expect(second.stdout).not.toContain('evergreend started');

    expect(first.running).toBe(true);
    expect(await lockOwner(sandbox.lockFile)).toBe(first.pid);
    expect(await connectOutcome({ path: sandbox.socket })).toBe('connected');
    expect(await exchange(targetOf(address!), 'still here\n')).toBe('still here\n');
  });

  it('a stale control socket and a lock naming a dead pid are replaced, and the daemon starts', async () => {
    const sandbox = await createSandbox();
    const args = await echoConfig(sandbox);
    // The daemon makes its control directory 0700 itself; made here first, it must be private too.
    await mkdir(dirname(sandbox.socket), { recursive: true, mode: 0o700 });
    const holder = startNode(sandbox, HOLD_UNIX_SOCKET, [sandbox.socket]);
    await holder.waitForLine('listening', (line) => (line === 'listening' ? true : undefined));
    holder.signal('SIGKILL');
    await holder.waitForExit();
    expect(lstatSync(sandbox.socket).isSocket()).toBe(true);
    expect(await connectOutcome({ path: sandbox.socket })).toBe('ECONNREFUSED');
    await writeFile(sandbox.lockFile, `${holder.pid}\n`);

    const daemon = startDaemon(sandbox, args);
    const [address] = await daemon.started();
    expect(await lockOwner(sandbox.lockFile)).toBe(daemon.pid);
    expect(await connectOutcome({ path: sandbox.socket })).toBe('connected');
    expect(await exchange(targetOf(address!), 'fresh\n')).toBe('fresh\n');

    daemon.signal('SIGTERM');
    expect((await daemon.waitForExit()).code).toBe(0);
    expect(existsSync(sandbox.lockFile)).toBe(false);
    expect(existsSync(sandbox.socket)).toBe(false);
  });

  it('a lock whose pid now belongs to another live process (pid reuse) is replaced, and the daemon starts', async () => {
    const sandbox = await createSandbox();
    const args = await echoConfig(sandbox);
    await mkdir(dirname(sandbox.socket), { recursive: true, mode: 0o700 });
    // A live process that is no daemon: the pid a dead daemon's lock names may be given to one like it.
    const unrelated = startNode(sandbox, HOLD_UNIX_SOCKET, [`${sandbox.socket}.unrelated`]);
    await unrelated.waitForLine('listening', (line) => (line === 'listening' ? true : undefined));
    // Its pid, with the start time of the daemon that wrote the lock: 1 clock tick after boot, which the unrelated process is not.
    await writeFile(sandbox.lockFile, `${unrelated.pid} 1\n`);

    const daemon = startDaemon(sandbox, args);
    const [address] = await daemon.started();
    expect(await lockOwner(sandbox.lockFile)).toBe(daemon.pid);
    expect(await exchange(targetOf(address!), 'not blocked\n')).toBe('not blocked\n');
    expect(unrelated.running).toBe(true);
  });

  it(`processes racing to replace a lock naming a dead pid: exactly one takes it, the others are told it runs (${RACERS} racers, ${RACES} races)`, { timeout: 60_000 }, async () => {
    const sandbox = await createSandbox();
    await mkdir(dirname(sandbox.socket), { recursive: true, mode: 0o700 });
    const dead = startNode(sandbox, HOLD_UNIX_SOCKET, [`${sandbox.socket}.dead`]);
    dead.signal('SIGKILL');
    await dead.waitForExit();
    for (let race = 0; race < RACES; race++) {
      await writeFile(sandbox.lockFile, `${dead.pid}\n`);
      const startAt = Date.now() + 1000;
      const racers = Array.from({ length: RACERS }, () => startNode(sandbox, LOCK_RACE, [sandbox.socket, String(startAt)]));
      const outcomes = await Promise.all(racers.map((racer) => racer.waitForLine('an outcome', (line) => line)));
      const holders = racers.filter((_, i) => outcomes[i] === 'held');
      expect(holders, `race ${race}: ${outcomes.join(', ')}`).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome !== 'held')).toEqual(Array(RACERS - 1).fill(`running ${holders[0]!.pid}`));
      expect(await lockOwner(sandbox.lockFile)).toBe(holders[0]!.pid);
      expect(existsSync(`${sandbox.lockFile}.break`)).toBe(false);
      for (const racer of racers) racer.signal('SIGKILL');
      await Promise.all(racers.map((racer) => racer.waitForExit()));
    }
  });
});

describe('one daemon per state dir', () => {
  it('a second daemon on another socket but the same state dir exits 1 naming the first pid and --state-dir; with a state dir of its own it starts', async () => {
    const sandbox = await createSandbox();
    const args = await echoConfig(sandbox);
    const first = startDaemon(sandbox, args);
    await first.started();
    const otherSocket: Sandbox = { ...sandbox, socket: join(sandbox.dir, 'other', 'control.sock'), lockFile: join(sandbox.dir, 'other', 'control.sock.lock') };

    const second = startDaemon(otherSocket, args);
    expect((await second.waitForExit()).code).toBe(1);
    expect(second.stderr).toBe(`evergreend: Cannot start evergreend: its state dir "${sandbox.stateDir}" is in use by another daemon (pid ${first.pid}); give each daemon its own with --state-dir\n`);
    expect(second.stdout).not.toContain('evergreend started');
    expect(existsSync(otherSocket.lockFile)).toBe(false);
    expect(first.running).toBe(true);

    const third = startDaemon(otherSocket, [...args, '--state-dir', join(sandbox.dir, 'state-b')]);
    const [address] = await third.started();
    expect(await exchange(targetOf(address!), 'own state\n')).toBe('own state\n');
    expect(first.running).toBe(true);
  });
});
