import type { StreamTransport } from '@evergreen/stream-core';
import { StdinStream, StdoutStream } from '@evergreen/tty';
import { relay } from '../handlers/relay.js';

/**
 * netcat over a stream transport: connects to `address` (with the
 * transport's own `options`: a TLS client's CA and certificate), then copies stdin
 * to the connection and the connection to stdout, both with backpressure.
 * Half-close passes through: stdin's end shuts the connection's write side,
 * and reading goes on until the peer ends. Resolves once both directions
 * have ended. Rejects with the connect error, or the first read or write
 * failure (both streams are then closed).
 */
export async function streamCat(transport: StreamTransport, address: unknown, options: object = {}): Promise<void> {
  const conn = await transport.connect(address, options);
  const stdin = new StdinStream();
  const stdout = new StdoutStream();
  const closeAll = (error: unknown): never => {
    stdin.close();
    conn.close();
    throw error;
  };
  try {
    await Promise.all([relay(stdin, conn).catch(closeAll), relay(conn, stdout).catch(closeAll)]);
  } finally {
    stdin.close();
    conn.close();
  }
}
