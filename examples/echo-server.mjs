// A line echo server in straight-line async code: the quick start's main job
// until evergreend exists. Listens on 127.0.0.1:7007 (PORT overrides it);
// Ctrl-C drains for up to 2 s and exits.
import { TCPServer } from '@evergreen/tcp';

const server = new TCPServer(async (conn) => {
  for (let line = await conn.readUntil('\n', { maxBytes: 64 * 1024 }); line.length > 0; line = await conn.readUntil('\n', { maxBytes: 64 * 1024 })) {
    conn.write(line);
  }
});

await server.bind({ host: '127.0.0.1', port: Number(process.env.PORT ?? 7007) });
const { address, port } = server.sockname;
console.log(`evergreen echo server listening on ${address}:${port} — try: nc ${address} ${port}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void server.close({ drainMs: 2000 }));
await server.serve();
console.log('evergreen echo server closed');
