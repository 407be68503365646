import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { afterTest, startDaemon } from './daemon-process.js';
import { SpecClient } from './spec-client.js';

/** The daemon's `ulimit -n`: far fewer descriptors than clients. */
const OPEN_FILE_LIMIT = 128;
const CLIENTS = 300;
/** The most a client waits for its echo or its close: a bound, not a speed assertion. */
const CLIENT_WAIT_MS = 15_000;

/** How one client fared: its line echoed (it stays open), or its connection closed without one. */
type Outcome = 'served' | 'closed';

/** Connects to 127.0.0.1:`port`, sends a line and waits (bounded) for it to come back or for the connection to close. */
function client(port: number, sockets: Socket[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const timer = setTimeout(() => reject(new Error(`Gave up on a client after ${CLIENT_WAIT_MS} ms: neither echoed nor closed`)), CLIENT_WAIT_MS);
    let echoed = '';
    socket.on('error', () => {});
    socket.on('connect', () => socket.write('hi\n'));
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.toString();
      if (echoed !== 'hi\n') return;
      clearTimeout(timer);
      resolve('served');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

describe('running out of file descriptors', () => {
  it(`under ulimit -n ${OPEN_FILE_LIMIT}, ${CLIENTS} clients to echo: every one is served or counted as refused (resources), logged with the limit, and the control socket still answers`, async () => {
    const daemon = await startDaemon(undefined, { openFileLimit: OPEN_FILE_LIMIT });
    const port = Number(new URL(daemon.servers[0]!).port);
    const sockets: Socket[] = [];
    afterTest(() => sockets.forEach((socket) => socket.destroy()));

    // The served ones stay open, holding their descriptors, while the rest arrive.
    const outcomes = await Promise.all(Array.from({ length: CLIENTS }, () => client(port, sockets)));

    const served = outcomes.filter((outcome) => outcome === 'served').length;
    const rpc = await SpecClient.connect(daemon.socket);
    afterTest(() => rpc.socket.destroy());
    const stats = (await rpc.call('stats')) as { servers: Record<string, { accepted: number; refused: Record<string, number> }> };
    const echo = stats.servers.echo!;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(CLIENTS);
    expect({ accepted: echo.accepted, refused: echo.refused.resources }).toEqual({ accepted: served, refused: CLIENTS - served });
    const logged = await daemon.waitForRecord((record) => record.reason === 'resources');
    expect(logged).toMatchObject({ level: 40, server: 'echo', openFileLimit: OPEN_FILE_LIMIT });
  });
});
