import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { UDPEndpoint } from '@evergreen/udp';
import { compare } from '../../../bench/runner.mjs';
const D = 2000; const PAYLOAD = Buffer.alloc(64, 'p'); const L = { host: '127.0.0.1', port: 0 };
function variant(echoStyle, clientAwaitsSend) {
  return async () => {
    const echo = new UDPEndpoint(); const client = new UDPEndpoint();
    await echo.bind(L); await client.bind(L);
    const serving = echoStyle === 'for-await'
      ? (async () => { for await (const [d, f] of echo) await echo.send(d, f); })()
      : echoStyle === 'while'
      ? (async () => { try { for (;;) { const [d, f] = await echo.receive(); await echo.send(d, f); } } catch {} })()
      : (async () => { try { for (;;) { const [d, f] = await echo.receive(); echo.send(d, f); } } catch {} })();
    const to = echo.sockname; const deadline = performance.now() + D; let trips = 0;
    while (performance.now() < deadline) { if (clientAwaitsSend) await client.send(PAYLOAD, to); else client.send(PAYLOAD, to); await client.receive(); trips++; }
    client.close(); echo.close(); await serving; return trips;
  };
}
async function baseline() {
  const echo = dgram.createSocket('udp4'); const client = dgram.createSocket('udp4');
  echo.bind(0, '127.0.0.1'); client.bind(0, '127.0.0.1'); await Promise.all([once(echo, 'listening'), once(client, 'listening')]);
  echo.on('message', (data, from) => echo.send(data, from.port, from.address));
  const { port } = echo.address(); const deadline = performance.now() + D; let trips = 0;
  await new Promise((resolve) => { client.on('message', () => { trips++; if (performance.now() < deadline) client.send(PAYLOAD, port, '127.0.0.1'); else resolve(); }); client.send(PAYLOAD, port, '127.0.0.1'); });
  client.close(); echo.close(); return trips;
}
for (const [e, c] of [['for-await', true], ['while', true], ['nowait', true], ['nowait', false]])
  await compare({ name: `${e} client-await=${c}`, unit: 'rt', rounds: 3, ours: variant(e, c), baseline });
