import { connect as netConnect, createServer as netCreateServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { TLSClient, TLSServer, type HandshakeErrorInfo, type TLSClientOptions, type TLSConnection, type TLSError, type TLSServerOptions } from '../src/index.js';
import type { TestCertificates } from '../src/testing/index.js';

/** A serving TLS server on 127.0.0.1 that echoes lines, and the handshake failures it reported. */
export interface EchoServer {
  server: TLSServer;
  port: number;
  failures: { error: TLSError; info: HandshakeErrorInfo }[];
  accepted: TLSConnection[];
}

/** An echo server with the test certificates' server identity and `options` on top. */
export async function echoServer(certificates: TestCertificates, options: Partial<TLSServerOptions> = {}): Promise<EchoServer> {
  const failures: EchoServer['failures'] = [];
  const accepted: TLSConnection[] = [];
  const server = new TLSServer(
    async (conn) => {
      accepted.push(conn);
      for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
    },
    {
      key: certificates.server.key,
      cert: certificates.server.cert,
      ca: certificates.ca.cert,
      onHandshakeError: (error, info) => failures.push({ error, info }),
      ...options,
    },
  );
  await server.bind({ host: '127.0.0.1', port: 0 });
  void server.serve();
  return { server, port: server.sockname.port, failures, accepted };
}

/** A client trusting the test CA, `options` on top. */
export function client(certificates: TestCertificates, options: TLSClientOptions = {}): TLSClient {
  return new TLSClient({ ca: certificates.ca.cert, ...options });
}

/** Connects a client, and resolves the error it rejected with (or undefined). */
export async function connectError(c: TLSClient, host: string, port: number): Promise<TLSError | undefined> {
  try {
    await c.connect({ host, port });
    return undefined;
  } catch (error) {
    return error as TLSError;
  } finally {
    c.close();
  }
}

/** One echo round trip: writes a line, resolves what came back. */
export async function echo(c: TLSClient, line = 'ping\n'): Promise<string> {
  c.write(line);
  return (await c.readUntil('\n')).toString();
}

/** A raw TCP socket to `port` that has connected, with everything it receives collected until it closes. */
export async function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<Buffer> }> {
  const socket = netConnect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks)))) };
}

/** A plain TCP server that answers anything with an HTTP error, as a non-TLS peer would. */
export async function plainServer(): Promise<{ port: number; close(): void }> {
  const server = netCreateServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}
