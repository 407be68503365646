import { createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import type { TCPServer } from '../src/index.js';

/** Loopback, port 0: the OS picks a free port, read back from `sockname`. */
export const LOOPBACK_V4 = { host: '127.0.0.1', port: 0 } as const;
export const LOOPBACK_V6 = { host: '::1', port: 0 } as const;

/** Binds `server` to `address` and serves it; resolves once it listens. */
export async function listening<S extends TCPServer>(server: S, address: { host: string; port: number } = LOOPBACK_V4): Promise<S> {
  await server.bind(address);
  void server.serve();
  return server;
}

/** A plain `node:net` server: the other end for fault tests. */
export interface RawServer {
  port: number;
  /** Closes the listener and destroys every socket it accepted. */
  close(): Promise<void>;
}

/** A plain `node:net` peer listening on 127.0.0.1:0, handing each socket to `onSocket`. */
export async function rawServer(onSocket: (socket: Socket) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Resolves what a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`Expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}
