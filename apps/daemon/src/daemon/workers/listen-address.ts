import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * The URI the workers of a server bind: `listen` itself, or, when it asks
 * for port 0, the same URI with a free port the primary picked. Every
 * worker (and every later generation) must ask the primary for the same
 * address to share one listening socket — cluster keys its shared sockets
 * by address and port, and a port 0 asked for twice is two sockets. The
 * port is found by binding port 0 on the host and closing it again, so
 * another process could take it in between; the start then fails with
 * `EADDRINUSE`, as any bind would.
 */
export async function listenAddress(listen: string): Promise<string> {
  const url = new URL(listen);
  if (url.port !== '0') return listen;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.protocol === 'udp:' ? await freeDatagramPort(host) : await freeStreamPort(host);
  url.port = String(port);
  return url.href;
}

async function freeStreamPort(host: string): Promise<number> {
  const server = createServer();
  server.listen({ host, port: 0, exclusive: true });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function freeDatagramPort(host: string): Promise<number> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  socket.bind({ address: host, port: 0, exclusive: true });
  await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([error]) => Promise.reject(error))]);
  const { port } = socket.address();
  socket.close();
  return port;
}
