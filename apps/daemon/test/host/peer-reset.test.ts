import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import type { Daemon } from '../../src/daemon/daemon.js';
import { addressOf, afterTest, Client, endpoint, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

const LINE_ECHO = fileURLToPath(new URL('./fixtures/line-echo.mjs', import.meta.url));
const LARGE_REPLY = fileURLToPath(new URL('./fixtures/large-reply.mjs', import.meta.url));
/** Clients that reset as soon as they are connected: far fewer than the 10,000, enough that many go before the daemon reads their address. */
const RESETTING_CLIENTS = 300;

/** Every `connections` event of `daemon` from now on. */
function connectionEvents(daemon: Daemon): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  afterTest(daemon.subscribe((topic, event) => topic === 'connections' && events.push(event)));
  return events;
}

/** Connects to `uri` and resets the connection (RST) as soon as it is made; resolves once it is gone. */
function connectAndReset(uri: string): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(endpoint(uri));
    socket.on('error', () => {});
    socket.once('connect', () => socket.resetAndDestroy());
    socket.once('close', () => resolve());
  });
}

describe('a peer that resets', () => {
  it(`${RESETTING_CLIENTS} connections reset right after connecting: each is counted as accepted and closed (reset), none as an error`, async () => {
    const daemon = await startDaemon([{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }]);
    const events = connectionEvents(daemon);

    await Promise.all(Array.from({ length: RESETTING_CLIENTS }, () => connectAndReset(addressOf(daemon, 'echo'))));

    const closes = () => events.filter((event) => event.type === 'close');
    await until(() => closes().length === RESETTING_CLIENTS, 'a close event for every connection').catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(daemon.server('echo').stats)}`);
    });
    const { accepted, active, errors } = daemon.server('echo').stats;
    expect({ accepted, active, errors }).toEqual({ accepted: RESETTING_CLIENTS, active: 0, errors: 0 });
    expect(new Set(closes().map((event) => event.closedBy))).toEqual(new Set(['reset']));
  });

  it('a reset that ends a module handler\'s read is the peer closing: closedBy "reset", not a handler error', async () => {
    const daemon = await startDaemon([{ name: 'mod', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: LINE_ECHO } }]);
    const events = connectionEvents(daemon);
    const client = await Client.connect(addressOf(daemon, 'mod'));
    expect(await client.exchange('hello\n')).toBe('hello\n');

    client.socket.resetAndDestroy();

    await until(() => events.some((event) => event.type === 'close'), 'the connection to close');
    expect(events.find((event) => event.type === 'close')).toMatchObject({ closedBy: 'reset' });
    expect(daemon.server('mod').stats).toMatchObject({ accepted: 1, active: 0, errors: 0 });
  });

  it('a reset while the daemon flushes what a finished handler wrote is the peer closing too: the connection is counted closed', async () => {
    const daemon = await startDaemon([{ name: 'mod', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: LARGE_REPLY } }]);
    const events = connectionEvents(daemon);
    const client = await Client.connect(addressOf(daemon, 'mod'));
    client.socket.write('go\n');
    // Its first bytes come once the handler has written its reply and returned; the rest waits for this client, which never reads it.
    await client.read(1);
    client.socket.resetAndDestroy();

    await until(() => events.some((event) => event.type === 'close'), 'the connection to close').catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(daemon.server('mod').stats)}`);
    });
    expect(events.find((event) => event.type === 'close')).toMatchObject({ closedBy: 'reset' });
    expect(daemon.server('mod').stats).toMatchObject({ accepted: 1, active: 0, errors: 0 });
  });
});
