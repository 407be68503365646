import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { reusePortSupported } from '@evergreen/udp';
import type { DaemonClient } from '../../src/ctl/daemon-client.js';
import { cleanUp } from '../daemon-process.js';
import { closeClients, startWorkersDaemon } from './workers-daemon.js';

/**
 * udp servers with workers: where this Node has `reusePort` (≥ 22.12) every
 * worker binds the port and the kernel keeps each client with one worker;
 * elsewhere (Node 20) one worker holds it. Each test asserts the branch of
 * the Node it runs on, chosen by the capability the daemon itself reads.
 */
const REUSE_PORT = reusePortSupported();
const SHARING = REUSE_PORT ? 'reuse-port' : 'single-worker';

/** Clients per test: with two workers, the kernel's hash puts all on one with odds 2^-19. */
const CLIENTS = 20;
/** Round trips each client makes. */
const ROUNDS = 3;
/** Sends of one datagram before a round trip counts as unanswered, and the wait for each reply. */
const TRIES = 5;
const REPLY_WAIT_MS = 1_000;
/** Most rounds of round trips while a restart runs. */
const MAX_ROUNDS = 500;
/** Polls of the daemon's counters before giving up (10 ms apart). */
const MAX_POLLS = 500;

const UDP = { name: 'udp', listen: 'udp://127.0.0.1:0', handler: { type: 'echo' } };

const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  closeClients();
  await cleanUp();
});

/** A udp client connected to the daemon's port: its errors (ECONNREFUSED when nothing is bound there) and the replies it got. */
interface UdpClient {
  socket: Socket;
  port: number;
  errors: NodeJS.ErrnoException[];
  replies: string[];
}

async function openClient(port: number): Promise<UdpClient> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const client: UdpClient = { socket, port: 0, errors: [], replies: [] };
  socket.on('error', (error) => client.errors.push(error)).on('message', (data) => client.replies.push(String(data)));
  socket.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  client.port = socket.address().port;
  return client;
}

/** Sends `text` until its echo comes back (at most `TRIES` sends); resolves whether it did. */
async function roundTrip(client: UdpClient, text: string): Promise<boolean> {
  for (let tries = 0; tries < TRIES; tries += 1) {
    client.socket.send(text);
    for (let waited = 0; waited < REPLY_WAIT_MS; waited += 10) {
      if (client.replies.includes(text)) return true;
      await sleep(10);
    }
  }
  return false;
}

/** Sends `text` (every 100 ms, at most `TRIES` × 10 times) until the kernel answers ECONNREFUSED: nothing is bound to the port. Resolves whether it did. */
async function refused(client: UdpClient, text: string): Promise<boolean> {
  for (let sends = 0; sends < TRIES * 10; sends += 1) {
    client.socket.send(text);
    await sleep(100);
    if (client.errors.some((error) => error.code === 'ECONNREFUSED')) return true;
  }
  return false;
}

/** Polls `read` until `done` holds of its value (bounded); resolves the last value read. */
async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let polls = 0; polls < MAX_POLLS && !done(value); polls += 1) {
    await sleep(10);
    value = await read();
  }
  return value;
}

/** Opens `CLIENTS` clients and has each make `ROUNDS` round trips; resolves them once all were answered. */
async function clientsServed(port: number, tag: string): Promise<UdpClient[]> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(port)));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const client of clients) expect(await roundTrip(client, `${tag} ${round} ${client.port}`)).toBe(true);
  }
  return clients;
}

/** The pid of the worker serving each client's session; throws unless each client is one session (all its datagrams in one worker). */
async function workerOfEach(control: DaemonClient, clients: UdpClient[]): Promise<number[]> {
  const { items } = await control.listConnections({ server: 'udp', limit: 1_000 });
  return clients.map((client) => {
    const sessions = items.filter((item) => item.peer === `127.0.0.1:${client.port}`);
    if (sessions.length !== 1) throw new Error(`Expected one session for client ${client.port}, found ${sessions.length}`);
    return sessions[0]!.worker!;
  });
}

describe(`a udp server with workers on Node ${process.versions.node}`, () => {
  it(`is shared ${REUSE_PORT ? 'by every worker with reusePort' : 'by one worker'}; each client's datagrams all reach one worker, counted once`, async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [UDP] });
    const status = await control.status();
    expect(status.sharing).toEqual({ udp: SHARING });
    const port = Number(new URL(addresses.udp!).port);
    const clients = await clientsServed(port, 'echo');
    const serving = await workerOfEach(control, clients);
    const pids = status.workers!.map((worker) => worker.pid);
    const first = status.workers!.find((worker) => worker.slot === 0)!.pid;
    expect(new Set(serving)).toEqual(new Set(REUSE_PORT ? pids : [first]));
    // Each session got its client's every datagram: one flow, one worker.
    const { items } = await control.listConnections({ server: 'udp', limit: 1_000 });
    for (const item of items) expect(item.bytesIn).toBe(Array.from({ length: ROUNDS }, (_, round) => `echo ${round} ${item.peer!.split(':')[1]}`.length).reduce((a, b) => a + b));
    const stats = await control.stats();
    expect(stats.servers.udp).toMatchObject({ accepted: CLIENTS, active: CLIENTS });
    const after = await control.status();
    expect(after.connections).toBe(CLIENTS);
    for (const worker of after.workers!) expect(worker.connections).toBe(serving.filter((pid) => pid === worker.pid).length);
    expect(clients.flatMap((client) => client.errors)).toEqual([]);
  });

  it('pause, update and remove reach every worker that holds it', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [UDP] });
    const port = Number(new URL(addresses.udp!).port);
    await clientsServed(port, 'before');
    // Unbound everywhere: a datagram finds no socket, and the kernel answers ECONNREFUSED.
    await control.pauseServer('udp', 'unbind');
    const probe = await openClient(port);
    expect(await refused(probe, 'paused')).toBe(true);
    expect(probe.replies).toEqual([]);
    await control.resumeServer('udp');
    const resumed = await clientsServed(port, 'resumed');
    expect(new Set(await workerOfEach(control, resumed)).size).toBe(REUSE_PORT ? 2 : 1);
    // Every worker denies once updated: none of the new clients is answered, each refused once per datagram.
    const refusedBefore = (await control.stats()).servers.udp!.refused.denied;
    await control.updateServer({ name: 'udp', deny: ['127.0.0.1/32'] });
    const denied = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(port)));
    for (const client of denied) client.socket.send(`denied ${client.port}`);
    const stats = await poll(
      () => control.stats(),
      (now) => now.servers.udp!.refused.denied - refusedBefore >= CLIENTS,
    );
    expect(stats.servers.udp!.refused.denied - refusedBefore).toBe(CLIENTS);
    expect(denied.flatMap((client) => client.replies)).toEqual([]);
    await control.removeServer('udp', { drainMs: 0 });
    const gone = await openClient(port);
    expect(await refused(gone, 'removed')).toBe(true);
    expect(gone.replies).toEqual([]);
  });

  it('holds maxConnections for the whole server, however the kernel spreads the clients over the workers', async () => {
    const limit = 3;
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...UDP, maxConnections: limit }] });
    const port = Number(new URL(addresses.udp!).port);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(port)));
    for (const client of clients) client.socket.send(`limited ${client.port}`);
    const stats = await poll(
      () => control.stats(),
      (now) => now.servers.udp!.accepted + now.servers.udp!.refused.maxConnections >= CLIENTS,
    );
    expect(stats.servers.udp).toMatchObject({ accepted: limit, active: limit, refused: { maxConnections: CLIENTS - limit } });
    const { items } = await control.listConnections({ server: 'udp' });
    expect(items).toHaveLength(limit);
    // The admitted clients are answered, each by its session's worker.
    const admitted = clients.filter((client) => items.some((item) => item.peer === `127.0.0.1:${client.port}`));
    for (const client of admitted) expect(await roundTrip(client, `limited ${client.port}`)).toBe(true);
  });

  it('keeps serving through a rolling restart: the new generation binds before the old one lets go', async () => {
    const { control, addresses } = await startWorkersDaemon({ workers: 2, servers: [{ ...UDP, drainMs: 0 }] });
    const port = Number(new URL(addresses.udp!).port);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(port)));
    const restart = control.restartWorkers();
    let finished = false;
    void restart.then(() => (finished = true), () => (finished = true));
    // Round trips from every client, a round each 20 ms, until the restart answered, and two rounds after (bounded).
    let roundsDuring = 0;
    let roundsAfter = 0;
    for (let round = 0; round < MAX_ROUNDS && roundsAfter < 2; round += 1) {
      if (finished) roundsAfter += 1;
      else roundsDuring += 1;
      for (const client of clients) expect(await roundTrip(client, `during ${round} ${client.port}`)).toBe(true);
      await sleep(20);
    }
    const { generation, workers } = await restart;
    expect(generation).toBe(2);
    expect(roundsDuring).toBeGreaterThan(1);
    expect(clients.flatMap((client) => client.errors)).toEqual([]);
    const fresh = await clientsServed(port, 'after');
    const serving = await workerOfEach(control, fresh);
    const pids = workers.map((worker) => worker.pid);
    expect(new Set(serving)).toEqual(new Set(REUSE_PORT ? pids : [workers.find((worker) => worker.slot === 0)!.pid]));
    expect((await control.status()).sharing).toEqual({ udp: SHARING });
  });
});
