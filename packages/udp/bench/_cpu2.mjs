import dgram from 'node:dgram';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { UDPEndpoint } from '@evergreen/udp';
const D = 2000; const PAYLOAD = Buffer.alloc(64, 'p'); const L = { host: '127.0.0.1', port: 0 };
async function rawSocket() { const s = dgram.createSocket('udp4'); s.bind(0, '127.0.0.1'); await once(s, 'listening'); return s; }
async function oursEcho(echo) { await echo.bind(L); return (async () => { for await (const [d, f] of echo) await echo.send(d, f); })(); }
function rawEcho(echo) { echo.on('message', (data, from) => echo.send(data, from.port, from.address)); }
async function rawClient(port) {
  const client = await rawSocket(); const deadline = performance.now() + D; let trips = 0;
  await new Promise((resolve) => { client.on('message', () => { trips++; if (performance.now() < deadline) client.send(PAYLOAD, port, '127.0.0.1'); else resolve(); }); client.send(PAYLOAD, port, '127.0.0.1'); });
  client.close(); return trips;
}
async function oursClient(to) {
  const client = new UDPEndpoint(); await client.bind(L); const deadline = performance.now() + D; let trips = 0;
  while (performance.now() < deadline) { await client.send(PAYLOAD, to); await client.receive(); trips++; }
  client.close(); return trips;
}
const variants = {
  raw: async () => { const e = await rawSocket(); rawEcho(e); const n = await rawClient(e.address().port); e.close(); return n; },
  oursEcho: async () => { const e = new UDPEndpoint(); const s = await oursEcho(e); const n = await rawClient(e.sockname.port); e.close(); await s; return n; },
  oursClient: async () => { const e = await rawSocket(); rawEcho(e); const n = await oursClient({ address: '127.0.0.1', port: e.address().port }); e.close(); return n; },
  ours: async () => { const e = new UDPEndpoint(); const s = await oursEcho(e); const n = await oursClient(e.sockname); e.close(); await s; return n; },
};
for (let r = 0; r < 2; r++) for (const [name, fn] of Object.entries(variants)) {
  globalThis.gc?.(); const c0 = process.cpuUsage(); const t0 = performance.now();
  const n = await fn(); const c = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log(name.padEnd(10), 'rt/s', (n / wall * 1000).toFixed(0), 'cpu us/rt', ((c.user + c.system) / n).toFixed(2), 'user', (c.user / n).toFixed(2), 'sys', (c.system / n).toFixed(2));
}
