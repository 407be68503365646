import type { AddressInfo } from 'node:net';
import { connect, createServer, type ConnectionOptions, type TlsOptions, type TLSSocket } from 'node:tls';
import { afterTest, listenForTest } from '../host/harness.js';

/**
 * Node's own TLS peers for the daemon's TLS tests (Node's `tls`, not
 * `@evergreen/tls`: the daemon is checked against a TLS stack it does not
 * use for the side under test). Everything made here is closed after the test.
 */

/** `tls.connect` takes net's `allowHalfOpen` (Node 20 and 24), which its typings lack: the peer's close_notify then leaves our side writable. */
export const halfOpen = { allowHalfOpen: true } as object;

/** The most a test waits for a handshake or an ending. */
const WAIT_MS = 15_000;

/** A `tls.Server` on 127.0.0.1 port 0 (half-open allowed) that hands each secured socket to `serve`. */
export async function tlsUpstream(options: TlsOptions, serve: (socket: TLSSocket) => void): Promise<{ uri: string; sockets: TLSSocket[]; clientErrors: Error[] }> {
  const sockets: TLSSocket[] = [];
  const clientErrors: Error[] = [];
  const server = createServer({ ...options, allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    serve(socket);
  });
  server.on('tlsClientError', (error) => clientErrors.push(error));
  await listenForTest(server, sockets, { host: '127.0.0.1', port: 0 });
  return { uri: `tls://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets, clientErrors };
}

/**
 * A TLS client to the `tls://` URI `uri` (half-open allowed), resolved once
 * its handshake is done; rejects with the handshake's error. Destroyed after the test.
 */
export async function tlsConnect(uri: string, options: ConnectionOptions): Promise<TLSSocket> {
  const { hostname, port } = new URL(uri.replace(/^tls:/, 'https:'));
  const socket = connect({ host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port), ...halfOpen, ...options });
  afterTest(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Cannot connect to ${uri}: no handshake within ${WAIT_MS} ms`)), WAIT_MS);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  return socket;
}

/** Resolves how `socket` ended: `eof` (its peer's FIN or close_notify) or `reset`/an error code; bounded. */
export function endingOf(socket: TLSSocket | import('node:net').Socket): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still open'), WAIT_MS);
    const done = (how: string): void => {
      clearTimeout(timer);
      resolve(how);
    };
    socket.resume();
    socket.once('end', () => done('eof'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    socket.once('close', () => done('closed'));
  });
}
