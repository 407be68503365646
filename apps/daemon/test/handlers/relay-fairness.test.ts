import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient } from '@evergreen/tcp';
import { relay, RELAY_CHUNK_BYTES } from '../../src/handlers/relay.js';

const TRANSFER_BYTES = 4 * 1024 * 1024;
/** Relay steps of buffered bytes per event-loop turn (relay.ts). */
const BUFFERED_STEPS_PER_TURN = 8;
const MAX_TURNS = 100_000;

const servers: Server[] = [];
const streams: TCPClient[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  for (const server of servers.splice(0)) {
    server.close();
    await once(server, 'close');
  }
});

/** A server on 127.0.0.1:0 whose accepted sockets go to `onSocket`, and a client connected to it. */
async function clientOf(onSocket: (socket: Socket) => void, options: ConstructorParameters<typeof TCPClient>[0] = {}): Promise<TCPClient> {
  const server = createServer(onSocket);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new TCPClient(options);
  streams.push(client);
  await client.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  return client;
}

describe('relay fairness', () => {
  it('moves at most a few chunks of what its source had buffered in one event-loop turn', async () => {
    const from = await clientOf((socket) => socket.end(Buffer.alloc(TRANSFER_BYTES, 7)), { highWaterMark: 2 * TRANSFER_BYTES });
    await until(() => from.readableLength === TRANSFER_BYTES, 'the whole transfer to be buffered');
    let received = 0;
    const to = await clientOf((socket) => socket.on('data', (chunk: Buffer) => (received += chunk.length)));

    const done = relay(from, to);
    let most = 0;
    let last = 0;
    for (let turn = 0; turn < MAX_TURNS && to.bytesWritten < TRANSFER_BYTES; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, to.bytesWritten - last);
      last = to.bytesWritten;
    }
    await done;
    await until(() => received === TRANSFER_BYTES, 'the sink to receive every byte');
    // Plus one step: a relay waiting for its sink to flush goes on in the poll phase, between two samples.
    expect(most).toBeLessThanOrEqual((BUFFERED_STEPS_PER_TURN + 1) * RELAY_CHUNK_BYTES);
  });
});
