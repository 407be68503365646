// 64-byte ping-pong over 127.0.0.1 for 3 s: a client sends, an echo endpoint
// sends it back, the client sends again when the reply arrives. Ours is
// straight-line code (`await send`, `await receive`, an echo loop over
// `for await`); the baseline is raw node:dgram with 'message' listeners.
// Unit: round trips. One datagram is in flight at a time, so a lost one would
// stall the loop: a watchdog closes both sockets a second after the deadline.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { UDPEndpoint } from '@evergreen/udp';
import { compare } from '../../../bench/runner.mjs';

const DURATION_MS = 3000;
const WATCHDOG_MS = DURATION_MS + 1000;
const PAYLOAD = Buffer.alloc(64, 'p');
const LOOPBACK = { host: '127.0.0.1', port: 0 };

async function ours() {
  const echo = new UDPEndpoint();
  const client = new UDPEndpoint();
  await echo.bind(LOOPBACK);
  await client.bind(LOOPBACK);
  const serving = (async () => {
    for await (const [data, from] of echo) await echo.send(data, from);
  })();
  const watchdog = setTimeout(() => client.close(), WATCHDOG_MS);
  const to = echo.sockname;
  const deadline = performance.now() + DURATION_MS;
  let trips = 0;
  try {
    while (performance.now() < deadline) {
      await client.send(PAYLOAD, to);
      await client.receive();
      trips++;
    }
  } finally {
    clearTimeout(watchdog);
    client.close();
    echo.close();
    await serving;
  }
  return trips;
}

async function baseline() {
  const echo = dgram.createSocket('udp4');
  const client = dgram.createSocket('udp4');
  echo.bind(0, '127.0.0.1');
  client.bind(0, '127.0.0.1');
  await Promise.all([once(echo, 'listening'), once(client, 'listening')]);
  echo.on('message', (data, from) => echo.send(data, from.port, from.address));
  const { port } = echo.address();
  const deadline = performance.now() + DURATION_MS;
  let trips = 0;
  await new Promise((resolve) => {
    const watchdog = setTimeout(resolve, WATCHDOG_MS);
    client.on('message', () => {
      trips++;
      if (performance.now() < deadline) client.send(PAYLOAD, port, '127.0.0.1');
      else resolve(clearTimeout(watchdog));
    });
    client.send(PAYLOAD, port, '127.0.0.1');
  });
  client.close();
  echo.close();
  return trips;
}

export async function run() {
  return [await compare({ name: '64-byte ping-pong vs raw dgram', unit: 'round trips', target: 0.9, ours, baseline })];
}
