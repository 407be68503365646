import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { relayBuffersInUse } from '../../src/handlers/relay.js';
import { addressOf, Client, releaseAll, startDaemon } from './harness.js';
import { streamUpstream } from './upstreams.js';

afterEach(releaseAll);

/** Connections per server: enough that a buffer held per relay shows, few enough for a unit test. */
const CLIENTS = 10;
/** What each client sends and gets back before it goes idle: a socket read's worth and more. */
const EXCHANGE_BYTES = 64 * 1024 + 1000;

describe('relay memory', () => {
  it('holds no pooled relay buffer for idle forward and echo connections once their bytes have moved, and relays again when bytes come', async () => {
    const upstream = await streamUpstream({ host: '127.0.0.1', port: 0 }, (socket) => socket.pipe(socket));
    const daemon = await startDaemon([
      { name: 'fwd', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: upstream.uri } },
      { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } },
    ]);
    const addresses = [addressOf(daemon, 'fwd'), addressOf(daemon, 'echo')];
    const clients = await Promise.all(addresses.flatMap((address) => Array.from({ length: CLIENTS }, () => Client.connect(address))));
    const payload = randomBytes(EXCHANGE_BYTES);

    const echoed = await Promise.all(clients.map(async (client) => {
      client.socket.write(payload);
      return (await client.read(payload.length)).equals(payload);
    }));
    expect(echoed).toEqual(clients.map(() => true));

    // Every relay is now waiting for bytes that do not come: none may hold a buffer for it.
    await until(() => relayBuffersInUse() === 0, `the idle relays to give their buffers back (${relayBuffersInUse()} in use)`);
    expect(daemon.server('fwd').stats.active + daemon.server('echo').stats.active).toBe(2 * CLIENTS);
    expect(await clients[0]!.exchange('still relaying\n')).toBe('still relaying\n');
    expect(await clients[CLIENTS]!.exchange('still echoing\n')).toBe('still echoing\n');
  });
});
