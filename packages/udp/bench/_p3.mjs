import { performance } from 'node:perf_hooks';
import { UDPEndpoint } from '@evergreen/udp';
const PAYLOAD = Buffer.alloc(64, 'p');
const echo = new UDPEndpoint(); const client = new UDPEndpoint();
await echo.bind({ host: '127.0.0.1', port: 0 }); await client.bind({ host: '127.0.0.1', port: 0 });
const serving = (async () => { for await (const [data, from] of echo) await echo.send(data, from); })();
const to = echo.sockname; const deadline = performance.now() + 4000; let trips = 0;
while (performance.now() < deadline) { await client.send(PAYLOAD, to); await client.receive(); trips++; }
client.close(); echo.close(); await serving; console.log(trips / 4);
