import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { transport, UDPEndpoint } from '../src/index.js';
import { endpoint } from './helpers.js';

let socket: Socket | undefined;

afterEach(() => {
  socket?.close();
  socket = undefined;
});

async function boundSocket(): Promise<Socket> {
  const created = createSocket('udp4');
  created.bind(0, '127.0.0.1');
  await once(created, 'listening');
  return created;
}

describe('UDPEndpoint#attach (a socket the caller owns, as systemd passes one)', () => {
  it('receives and replies on the socket, leaves it open on close, and a second endpoint takes it over', async () => {
    socket = await boundSocket();
    const port = socket.address().port;
    const client = endpoint();
    for (const name of ['first', 'second']) {
      const attached = transport.attach(socket, { recvBufferSize: 65536 });
      expect(attached.sockname).toEqual({ address: '127.0.0.1', port, family: 'IPv4' });
      await client.send(name, { host: '127.0.0.1', port });
      const [data, from] = await attached.receive();
      expect(data.toString()).toBe(name);
      await attached.send(`re ${name}`, from);
      expect((await client.receive())[0].toString()).toBe(`re ${name}`);
      attached.close();
      expect(socket.address().port).toBe(port);
    }
    client.close();
  });

  it('refuses a socket that is not bound, and an endpoint already bound', async () => {
    const unbound = createSocket('udp4');
    expect(() => new UDPEndpoint().attach(unbound)).toThrow(new TypeError('Cannot attach the endpoint: expected a bound dgram.Socket'));
    unbound.close();
    socket = await boundSocket();
    const bound = new UDPEndpoint();
    await bound.bind({ host: '127.0.0.1', port: 0 });
    expect(() => bound.attach(socket!)).toThrow(/Cannot attach the endpoint: the endpoint is already bound/);
    bound.close();
  });
});
