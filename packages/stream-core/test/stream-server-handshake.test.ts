import { connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { StreamConnection, StreamServer, listenOn, type SocketAddress, type StreamServerOptions } from '../src/index.js';
import { until } from '../src/testing/index.js';

/** A handshake the test decides: each accepted socket waits until the test finishes or fails it. */
interface Handshake {
  socket: Socket;
  signal: AbortSignal;
  finish(): void;
  fail(error: Error): void;
}

/** A TCP server on 127.0.0.1 whose accepted sockets go through a handshake the test controls. */
class HandshakeServer extends StreamServer<StreamConnection, number> {
  readonly handshakes: Handshake[] = [];

  get port(): number {
    return (this._listener!.address() as { port: number }).port;
  }

  protected _listen(listener: Server, port: number): Promise<void> {
    return listenOn(listener, { host: '127.0.0.1', port });
  }

  protected _createConnection(socket: Socket): StreamConnection {
    return new StreamConnection(socket, this._connectionOptions);
  }

  protected override _handshake(socket: Socket, signal: AbortSignal): Promise<Socket> {
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      this.handshakes.push({ socket, signal, finish: () => resolve(socket), fail: reject });
    });
  }
}

async function serving(handler: (conn: StreamConnection) => unknown, options?: StreamServerOptions<StreamConnection>): Promise<HandshakeServer> {
  const server = new HandshakeServer(handler, options);
  await server.bind(0);
  void server.serve();
  return server;
}

/** A raw client socket, and a promise of everything it receives until the server closes it. */
async function rawClient(port: number): Promise<{ socket: Socket; localPort: number; received: Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const localPort = socket.localPort!;
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const received = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString())));
  socket.on('error', () => {});
  return { socket, localPort, received };
}

describe('StreamServer asynchronous accept (_handshake)', () => {
  it('hands a connection to the handler only once its handshake resolves, counting it as pending until then', async () => {
    const handled: StreamConnection[] = [];
    const server = await serving(async (conn) => {
      handled.push(conn);
      conn.write('welcome');
      await conn.readUntilClose();
    });
    const client = await rawClient(server.port);
    try {
      await until(() => server.handshakes.length === 1, 'the handshake to start');
      expect(server.pendingConnections).toBe(1);
      expect(server.connections.size).toBe(0);
      expect(handled).toEqual([]);
      server.handshakes[0].finish();
      await until(() => handled.length === 1, 'the handler to get the connection');
      expect(server.pendingConnections).toBe(0);
      expect(server.connections.has(handled[0])).toBe(true);
      client.socket.end();
      expect(await client.received).toBe('welcome');
    } finally {
      client.socket.destroy();
      await server.close();
    }
  });

  it('a failed handshake destroys the socket and reaches neither the handler nor onError', async () => {
    const handled: StreamConnection[] = [];
    const errors: unknown[] = [];
    const server = await serving((conn) => void handled.push(conn), { onError: (error) => errors.push(error) });
    const client = await rawClient(server.port);
    try {
      await until(() => server.handshakes.length === 1, 'the handshake to start');
      server.handshakes[0].fail(new Error('bad hello'));
      expect(await client.received).toBe('');
      await until(() => server.pendingConnections === 0, 'the handshake to be released');
      expect(server.handshakes[0].socket.destroyed).toBe(true);
      expect(handled).toEqual([]);
      expect(errors).toEqual([]);
      expect(server.connections.size).toBe(0);
    } finally {
      client.socket.destroy();
      await server.close();
    }
  });

  it('close() ends handshakes in progress at once, even with drainMs, and hands nothing to the handler', async () => {
    const handled: StreamConnection[] = [];
    const server = await serving((conn) => void handled.push(conn));
    const clients = await Promise.all([rawClient(server.port), rawClient(server.port)]);
    try {
      await until(() => server.pendingConnections === 2, 'both handshakes to start');
      await server.close({ drainMs: 60_000 });
      expect(server.pendingConnections).toBe(0);
      for (const handshake of server.handshakes) {
        expect(handshake.signal.aborted).toBe(true);
        expect(handshake.socket.destroyed).toBe(true);
      }
      for (const client of clients) expect(await client.received).toBe('');
      expect(handled).toEqual([]);
    } finally {
      for (const client of clients) client.socket.destroy();
    }
  });

  it('admit sees the peer address at accept and refuses before any handshake starts', async () => {
    const seen: (SocketAddress | null)[] = [];
    let admitting = false;
    const server = await serving(() => {}, { admit: (remote) => (seen.push(remote), admitting) });
    const refused = await rawClient(server.port);
    try {
      expect(await refused.received).toBe('');
      expect(server.handshakes).toEqual([]);
      expect(seen).toEqual([{ address: '127.0.0.1', port: refused.localPort, family: 'IPv4' }]);
      admitting = true;
      const taken = await rawClient(server.port);
      await until(() => server.pendingConnections === 1, 'the admitted socket to start its handshake');
      taken.socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('a throwing admit refuses the connection and warns', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    const server = await serving(() => {}, {
      admit: () => {
        throw new Error('acl bug');
      },
    });
    try {
      const client = await rawClient(server.port);
      expect(await client.received).toBe('');
      await until(() => warnings.length === 1, 'the warning');
      expect(warnings[0]).toBe('admit threw, so the connection was refused: acl bug');
      expect(server.handshakes).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  });

  it('a non-function admit throws when the server is made', () => {
    expect(() => new HandshakeServer(() => {}, { admit: 5 as unknown as () => boolean })).toThrow('Cannot create the server: admit must be a function');
  });
});
