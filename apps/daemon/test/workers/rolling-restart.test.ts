import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectTo, createSandbox, targetOf, type Sandbox } from '../daemon-process.js';
import { closeClients, holdConnection, isRunning, startWorkersDaemon } from './workers-daemon.js';

afterEach(async () => {
  closeClients();
  await cleanUp();
});

/** The most new connections the load loop makes while a restart runs. */
const MAX_LOOP_CONNECTIONS = 2_000;

/** Writes the handler module: it answers each line with the line's first byte replaced by `version` (same length). */
async function writeHandler(sandbox: Sandbox, version: number): Promise<void> {
  await writeFile(join(sandbox.dir, 'handler.mjs'), `export default async function versioned(conn) {
  for (let line = await conn.readUntil('\\n'); line.length > 0; line = await conn.readUntil('\\n')) {
    conn.write(Buffer.concat([Buffer.from('${version}'), line.subarray(1)]));
  }
}
`);
}

const SERVER = { name: 'code', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: './handler.mjs' }, drainMs: 30_000 };

/** One new connection: connect, one line, close. Resolves the version that answered, or the failure. */
async function oneConnection(uri: string): Promise<string> {
  try {
    const client = await connectTo(targetOf(uri));
    try {
      return (await client.roundTrip('x\n')).toString().trim() || 'closed without a reply';
    } finally {
      client.close();
    }
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** Opens new connections one after another until `done` settles (bounded); resolves what each got. */
async function loadUntil(uri: string, done: Promise<unknown>): Promise<string[]> {
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  const outcomes: string[] = [];
  while (!finished && outcomes.length < MAX_LOOP_CONNECTIONS) outcomes.push(await oneConnection(uri));
  return outcomes;
}

describe('a rolling restart of the workers', () => {
  it('refuses no new connection, lets an old one finish on the old code, and serves new ones with the new code', async () => {
    const sandbox = await createSandbox();
    await writeHandler(sandbox, 1);
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [SERVER] }, [], sandbox);
    const uri = addresses.code!;
    const old = await holdConnection(control, uri, 'a\n');
    const oldWorkers = (await control.status()).workers!.map((worker) => worker.pid);
    const errors: Error[] = [];
    old.client.socket.on('error', (error) => errors.push(error));
    await writeHandler(sandbox, 2);
    const restart = control.restartWorkers();
    const outcomes = await loadUntil(uri, restart);
    const result = await restart;
    expect(result.generation).toBe(2);
    expect(outcomes.filter((outcome) => outcome !== '1' && outcome !== '2')).toEqual([]);
    // After it answers, every new connection is the new generation's.
    for (let index = 0; index < 4; index += 1) expect(await oneConnection(uri)).toBe('2');
    // The old connection is still served by the old code, and closes normally.
    expect((await old.client.roundTrip('b\n')).toString()).toBe('1\n');
    old.client.socket.end();
    expect((await old.client.rest()).length).toBe(0);
    expect(errors).toEqual([]);
    // With its last connection gone, the old generation exits (bounded wait).
    for (let turn = 0; turn < 100 && oldWorkers.some(isRunning); turn += 1) await sleep(100);
    expect(oldWorkers.filter(isRunning)).toEqual([]);
    expect((await control.status()).workers!.map((worker) => worker.generation)).toEqual([2, 2]);
  });

  it('starts a new generation when a reload finds the handler module changed on disk', async () => {
    const sandbox = await createSandbox();
    await writeHandler(sandbox, 1);
    const { control, addresses } = await startWorkersDaemon({ workers: 1, servers: [SERVER] }, [], sandbox);
    expect(await oneConnection(addresses.code!)).toBe('1');
    expect((await control.reload()).restarted).toEqual([]);
    await writeHandler(sandbox, 2);
    const report = await control.reload();
    expect(report.restarted).toEqual(['code']);
    expect((await control.status()).generation).toBe(2);
    expect(await oneConnection(addresses.code!)).toBe('2');
  });
});
