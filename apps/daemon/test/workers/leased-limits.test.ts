import { afterEach, describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../src/ctl/daemon-client.js';
import { cleanUp, connectTo, targetOf, type Client } from '../daemon-process.js';
import { closeClients, holdConnection, startWorkersDaemon, type HeldConnection } from './workers-daemon.js';

// The whole-server limits with workers are leased to them in blocks
// (AdmissionLeases, WholeServerAdmission): these tests hold connections
// so that a worker keeps places it does not use, and check that the
// limits stay exact — no more, and no fewer, than the limit served.

afterEach(async () => {
  closeClients();
  await cleanUp();
});

const ECHO = { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };
const POLLS = 100;
const POLL_MS = 50;

/** Holds `count` connections, one after the other (round-robin alternates the workers). */
async function holdMany(control: DaemonClient, uri: string, count: number): Promise<HeldConnection[]> {
  const held: HeldConnection[] = [];
  for (let index = 0; index < count; index += 1) held.push(await holdConnection(control, uri));
  return held;
}

/** Tries `count` new connections one after the other, keeping the served ones open; resolves how many were served. */
async function tryMany(uri: string, count: number, kept: Client[]): Promise<number> {
  let served = 0;
  for (let index = 0; index < count; index += 1) {
    const client = await connectTo(targetOf(uri));
    kept.push(client);
    const reply = await client.roundTrip('x').catch(() => Buffer.alloc(0));
    if (reply.toString() === 'x') served += 1;
  }
  return served;
}

/** Waits (bounded) until the daemon counts `active` connections of `server`. */
async function waitForActive(control: DaemonClient, server: string, active: number): Promise<void> {
  let seen: number | undefined;
  for (let poll = 0; poll < POLLS; poll += 1) {
    seen = (await control.stats()).servers[server]?.active;
    if (seen === active) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`Expected ${active} active connections of "${server}", still ${seen}`);
}

/** Closes the held connections served by `pid`, `count` of them, and resolves those left. */
function closeOn(held: HeldConnection[], pid: number, count: number): HeldConnection[] {
  let closed = 0;
  return held.filter((each) => {
    if (each.info.worker !== pid || closed === count) return true;
    each.client.close();
    closed += 1;
    return false;
  });
}

describe('whole-server limits leased to the workers', () => {
  it('takes back the places one worker holds unused when another needs them: maxConnections stays exact', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...ECHO, maxConnections: 8 }] });
    const held = await holdMany(control, addresses.echo!, 8);
    const first = held[0]!.info.worker!;
    // The first worker keeps one connection and the places of the three closed, unused.
    const left = closeOn(held, first, 3);
    await waitForActive(control, 'echo', 5);
    const kept: Client[] = [];
    expect(await tryMany(addresses.echo!, 4, kept)).toBe(3);
    const stats = (await control.stats()).servers.echo!;
    expect(stats.active).toBe(8);
    expect(stats.refused.maxConnections).toBe(1);
    expect(left).toHaveLength(5);
  });

  it('gives back every place of a worker that died, used or not', async () => {
    const { control, daemon, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...ECHO, maxConnections: 6 }] });
    const held = await holdMany(control, addresses.echo!, 6);
    const victim = held[0]!.info.worker!;
    const lost = held.filter((each) => each.info.worker === victim);
    process.kill(victim, 'SIGKILL');
    await daemon.waitForLog('worker replaced');
    for (const each of lost) await each.client.rest();
    await waitForActive(control, 'echo', 6 - lost.length);
    const kept: Client[] = [];
    expect(await tryMany(addresses.echo!, lost.length + 1, kept)).toBe(lost.length);
    expect((await control.stats()).servers.echo!.active).toBe(6);
  });

  it('holds a lowered maxConnections at once, though the workers held places under the old one', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...ECHO, maxConnections: 10 }] });
    const held = await holdMany(control, addresses.echo!, 6);
    const pids = [...new Set(held.map((each) => each.info.worker!))];
    expect(pids).toHaveLength(2);
    // Each worker keeps one connection and the places of the two closed, unused.
    closeOn(held, pids[0]!, 2);
    closeOn(held, pids[1]!, 2);
    await waitForActive(control, 'echo', 2);
    await control.updateServer({ name: 'echo', maxConnections: 3 });
    const kept: Client[] = [];
    expect(await tryMany(addresses.echo!, 4, kept)).toBe(1);
    const stats = (await control.stats()).servers.echo!;
    expect(stats.active).toBe(3);
    expect(stats.refused.maxConnections).toBe(3);
  });

  it('lets a busy source use all of maxPerSource across the workers, and no more', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...ECHO, maxPerSource: 6 }] });
    const held = await holdMany(control, addresses.echo!, 6);
    closeOn(held, held[0]!.info.worker!, 2);
    await waitForActive(control, 'echo', 4);
    const kept: Client[] = [];
    expect(await tryMany(addresses.echo!, 4, kept)).toBe(2);
    const stats = (await control.stats()).servers.echo!;
    expect(stats.active).toBe(6);
    expect(stats.refused.maxPerSource).toBe(2);
  });
});
