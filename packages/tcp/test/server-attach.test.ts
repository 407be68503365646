import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { TCPClient, TCPServer, type TCPConnection } from '../src/index.js';

let listener: Server | undefined;

afterEach(async () => {
  if (listener?.listening) await new Promise((resolve) => listener!.close(resolve));
  listener = undefined;
});

/** A server that answers each connection with `reply` and closes it. */
function replying(reply: string): TCPServer {
  return new TCPServer(async (conn: TCPConnection) => {
    conn.write(reply);
    await conn.flush();
  });
}

/** Connects to `port` and reads everything until the server closes. */
async function fetchFrom(port: number): Promise<string> {
  const client = new TCPClient();
  try {
    await client.connect({ host: '127.0.0.1', port });
    return (await client.readUntilClose()).toString();
  } finally {
    client.close();
  }
}

describe('StreamServer#attach (a listener the caller owns, as systemd passes one)', () => {
  it('serves the listener\'s connections, leaves it listening on close, and a second server takes it over', async () => {
    listener = createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const port = (listener.address() as { port: number }).port;

    const first = replying('first');
    first.attach(listener);
    void first.serve();
    expect(first.sockname).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
    expect(await fetchFrom(port)).toBe('first');
    await first.close();
    expect(listener.listening).toBe(true);

    const second = replying('second');
    second.attach(listener);
    void second.serve();
    expect(await fetchFrom(port)).toBe('second');
    await second.close();
    expect(listener.listening).toBe(true);
  });

  it('refuses what is not a listening net.Server, and a server already bound', async () => {
    const server = replying('x');
    expect(() => server.attach(createServer())).toThrow(new TypeError('Cannot attach the server: expected a listening net.Server'));
    await server.bind({ host: '127.0.0.1', port: 0 });
    listener = createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    expect(() => server.attach(listener!)).toThrow(/Cannot attach: the server is already bound/);
    await server.close();
  });
});
