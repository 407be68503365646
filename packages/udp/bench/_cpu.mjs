import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { UDPEndpoint } from '@evergreen/udp';
const D = 2000; const PAYLOAD = Buffer.alloc(64, 'p'); const L = { host: '127.0.0.1', port: 0 };
async function ours() {
  const echo = new UDPEndpoint(); const client = new UDPEndpoint();
  await echo.bind(L); await client.bind(L);
  const serving = (async () => { for await (const [d, f] of echo) await echo.send(d, f); })();
  const to = echo.sockname; const deadline = performance.now() + D; let trips = 0;
  while (performance.now() < deadline) { await client.send(PAYLOAD, to); await client.receive(); trips++; }
  client.close(); echo.close(); await serving; return trips;
}
async function baseline() {
  const echo = dgram.createSocket('udp4'); const client = dgram.createSocket('udp4');
  echo.bind(0, '127.0.0.1'); client.bind(0, '127.0.0.1'); await Promise.all([once(echo, 'listening'), once(client, 'listening')]);
  echo.on('message', (data, from) => echo.send(data, from.port, from.address));
  const { port } = echo.address(); const deadline = performance.now() + D; let trips = 0;
  await new Promise((resolve) => { client.on('message', () => { trips++; if (performance.now() < deadline) client.send(PAYLOAD, port, '127.0.0.1'); else resolve(); }); client.send(PAYLOAD, port, '127.0.0.1'); });
  client.close(); echo.close(); return trips;
}
for (let r = 0; r < 3; r++) for (const [name, fn] of [['raw', baseline], ['ours', ours]]) {
  globalThis.gc?.(); const c0 = process.cpuUsage(); const t0 = performance.now();
  const n = await fn(); const c = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log(name, 'rt/s', (n / wall * 1000).toFixed(0), 'cpu us/rt', ((c.user + c.system) / n).toFixed(2), 'user', (c.user / n).toFixed(2), 'sys', (c.system / n).toFixed(2), 'cpu%', ((c.user + c.system) / 1000 / wall * 100).toFixed(0));
}
