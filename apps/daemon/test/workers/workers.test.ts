import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcError } from '../../src/protocol/rpc-error.js';
import { cleanUp, connectTo, createSandbox, targetOf } from '../daemon-process.js';
import { ctl } from '../ctl/ctl-helpers.js';
import { closeClients, holdConnection, holdOnBothWorkers, isRunning, startWorkersDaemon } from './workers-daemon.js';

afterEach(async () => {
  closeClients();
  await cleanUp();
});

const ECHO = { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };

describe('evergreend with workers', () => {
  it('shares a tcp server among its workers round-robin, and its control methods answer for the whole daemon', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [ECHO] });
    // One after another: round-robin alternates strictly only between connections that do not overlap
    // (with several in flight, a worker slower to take its last one is skipped for the next).
    const held = [];
    for (let index = 0; index < 4; index += 1) held.push(await holdConnection(control, addresses.echo!));
    const status = await control.status();
    expect(status.workers).toHaveLength(2);
    expect(status.generation).toBe(1);
    expect(status.sharing).toEqual({ echo: 'round-robin' });
    expect(status.connections).toBe(4);
    const pids = status.workers!.map((worker) => worker.pid);
    // Round-robin: each worker took two of the four.
    expect(held.map((each) => each.info.worker).sort()).toEqual([...pids, ...pids].sort());
    expect((await control.stats()).totals.active).toBe(4);
    expect((await control.listConnections()).total).toBe(4);
    // connections.close reaches the worker that serves it.
    await control.closeConnection(held[3]!.info.id);
    expect((await held[3]!.client.rest()).length).toBe(0);
    expect((await held[0]!.client.roundTrip('still here')).toString()).toBe('still here');
  });

  it('says with workers: 0 that there are none, and refuses workers.restart', async () => {
    const { control } = await startWorkersDaemon({ servers: [ECHO] });
    expect((await control.status()).workers).toEqual([]);
    const error = await control.restartWorkers().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).message).toMatch(/without workers/);
  });

  it('replaces a killed worker; only its connections are lost, the other worker serves on', async () => {
    const { control, daemon, addresses } = await startWorkersDaemon({ workers: 2, servers: [ECHO] });
    const held = await holdOnBothWorkers(control, addresses.echo!);
    const victim = held[held.length - 1]!.info.worker!;
    const survivors = held.filter((each) => each.info.worker !== victim);
    const lost = held.filter((each) => each.info.worker === victim);
    process.kill(victim, 'SIGKILL');
    await daemon.waitForLog('worker replaced');
    for (const each of lost) await each.client.rest();
    for (const each of survivors) expect((await each.client.roundTrip('after')).toString()).toBe('after');
    const status = await control.status();
    expect(status.workersReplaced).toBe(1);
    expect(status.workers!.map((worker) => worker.pid)).not.toContain(victim);
    expect(status.workers).toHaveLength(2);
    expect(status.connections).toBe(survivors.length);
    // The replacement serves too: round-robin hands it connections.
    const fresh = [await holdConnection(control, addresses.echo!), await holdConnection(control, addresses.echo!)];
    expect(new Set(fresh.map((each) => each.info.worker)).size).toBe(2);
  });

  it('holds maxPerSource and maxConnections for the whole server, however round-robin spreads the connections', async () => {
    const servers = [
      { ...ECHO, name: 'per-source', maxPerSource: 2 },
      { ...ECHO, name: 'total', maxConnections: 3 },
    ];
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers });
    // Connections held open one after the other: round-robin gives each worker every other one.
    const served = async (uri: string, count: number): Promise<number> => {
      let ok = 0;
      for (let index = 0; index < count; index += 1) {
        const client = await connectTo(targetOf(uri));
        const reply = await client.roundTrip('x').catch(() => Buffer.alloc(0));
        if (reply.toString() === 'x') ok += 1;
      }
      return ok;
    };
    // Each worker alone would let its two of the four through.
    expect(await served(addresses['per-source']!, 4)).toBe(2);
    expect(await served(addresses.total!, 6)).toBe(3);
    const stats = await control.stats();
    expect(stats.servers['per-source']!.refused.maxPerSource).toBe(2);
    expect(stats.servers.total!.refused.maxConnections).toBe(3);
    expect(stats.servers.total!.active).toBe(3);
  });

  it('drains every worker on SIGTERM and exits 0 after the last', async () => {
    const { control, daemon, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...ECHO, drainMs: 30_000 }] });
    const held = await holdOnBothWorkers(control, addresses.echo!);
    const pids = (await control.status()).workers!.map((worker) => worker.pid);
    daemon.signal('SIGTERM');
    await daemon.waitForLog('stopping: draining connections');
    // Draining: the connections are still served, on both workers.
    for (const each of held) expect((await each.client.roundTrip('draining')).toString()).toBe('draining');
    for (const each of held) each.client.socket.end();
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
    expect(pids.filter(isRunning)).toEqual([]);
  });

  it('refuses a pipe server with workers, naming the reason', async () => {
    const { control, sandbox } = await startWorkersDaemon({ workers: 1, servers: [] });
    const error = await control.addServer({ name: 'p', listen: `pipe://${sandbox.dir}/p.sock`, handler: { type: 'echo' } }).catch((caught: unknown) => caught);
    expect((error as RpcError).message).toMatch(/pipe:\/\/ server is not shared among workers/);
  });
});

describe('evergreend with workers, seen from outside', () => {
  it('--workers overrides the config, and evergreenctl status and workers restart show the workers', async () => {
    const { sandbox, control } = await startWorkersDaemon({ workers: 0, servers: [ECHO] }, ['--workers', '2']);
    expect((await control.status()).workers).toHaveLength(2);
    const env = { ...sandbox.env, EVERGREEN_SOCKET: sandbox.socket };
    const restart = await ctl(['workers', 'restart'], { env });
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/^generation 2 serves: workers \d+, \d+\n$/);
    const status = await ctl(['status'], { env });
    expect(status.stdout).toMatch(/^workers {5}2 \(generation 2, pids \d+, \d+\)/m);
  });

  it('serves the whole daemon\'s counters on the metrics endpoint', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [ECHO], metrics: { listen: 'tcp://127.0.0.1:0' } });
    await holdOnBothWorkers(control, addresses.echo!);
    const { metrics } = await control.status();
    const url = `http://${metrics!.address!.slice('tcp://'.length)}/metrics`;
    // The primary takes each worker's snapshot every second: bounded wait for both workers' connections.
    let text = '';
    for (let turn = 0; turn < 50; turn += 1) {
      text = await (await fetch(url)).text();
      if (/evergreen_server_current_connections\{server="echo"\} 2\b/.test(text)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(text).toMatch(/evergreen_server_current_connections\{server="echo"\} 2\b/);
  });
});

describe('a worker that stops answering', () => {
  it('is killed and replaced; the other worker serves on', async () => {
    const sandbox = await createSandbox();
    // A handler that blocks its worker's event loop for good on a line saying so.
    await writeFile(join(sandbox.dir, 'hang.mjs'), `export default async function hang(conn) {
  for (let line = await conn.readUntil('\\n'); line.length > 0; line = await conn.readUntil('\\n')) {
    if (line.toString() === 'hang\\n') for (;;);
    conn.write(line);
  }
}
`);
    const server = { name: 'hang', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: './hang.mjs' } };
    const { control, daemon, addresses } = await startWorkersDaemon({ workers: 2, servers: [server] }, [], sandbox);
    const held = await holdOnBothWorkers(control, addresses.hang!, 'hello\n');
    const [stuck, ...others] = held;
    const survivors = others.filter((each) => each.info.worker !== stuck!.info.worker);
    stuck!.client.socket.write('hang\n');
    const killed = await daemon.waitForLog('worker not answering: killing it', undefined, 30_000);
    expect(killed.worker).toBe(stuck!.info.worker);
    await daemon.waitForLog('worker replaced');
    for (const each of survivors) expect((await each.client.roundTrip('ok\n')).toString()).toBe('ok\n');
    expect((await control.status()).workersReplaced).toBe(1);
  });
});
