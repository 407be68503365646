import { describe, expect, it } from 'vitest';
import type { DatagramTransport, HostPort } from '@evergreen/stream-core';
import { UDPEndpoint, UDPError, transport } from '../src/index.js';
import { V4 } from './helpers.js';

describe('transport', () => {
  it('is a datagram transport for the udp scheme', () => {
    const plugin: DatagramTransport<HostPort> = transport;
    expect(plugin).toMatchObject({ kind: 'datagram', scheme: 'udp' });
  });

  it('parses IPv4, bracketed IPv6 and names', () => {
    expect(transport.parse('udp://127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(transport.parse('udp://[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(transport.parse('UDP://localhost:65535')).toEqual({ host: 'localhost', port: 65535 });
    expect(transport.parse('udp://[::ffff:127.0.0.1]:53/')).toEqual({ host: '::ffff:127.0.0.1', port: 53 });
  });

  it.each([
    ['tcp://127.0.0.1:53', /the scheme is "tcp", expected "udp"/],
    ['127.0.0.1:53', /not a valid URI \(expected "udp:\/\/host:port"\)/],
    ['udp://127.0.0.1', /it has no port/],
    ['udp://127.0.0.1:', /it has no port/],
    ['udp://127.0.0.1:65536', /the port 65536 is out of range 0\.\.65535/],
    ['udp://127.0.0.1:dns', /the port "dns" is not a number/],
    ['udp://127.0.0.1:-1', /the port "-1" is not a number/],
    ['udp://::1:53', /an IPv6 host must be bracketed/],
    ['udp://[127.0.0.1]:53', /in brackets is not an IPv6 address/],
    ['udp://127.0.0.1:53/path', /a path \("\/path"\) is not allowed/],
    ['udp://user@127.0.0.1:53', /credentials are not allowed/],
    ['udp://:53', /it has no host/],
  ])('parse(%j) throws a TypeError saying what is wrong', (uri, reason) => {
    expect(() => transport.parse(uri)).toThrow(TypeError);
    expect(() => transport.parse(uri)).toThrow(reason);
  });

  it('formats addresses that parse back to themselves', () => {
    for (const address of [
      { host: '127.0.0.1', port: 5353 },
      { host: '::1', port: 0 },
      { host: 'example.test', port: 53 },
    ]) {
      expect(transport.parse(transport.format(address))).toEqual(address);
    }
    expect(transport.format({ host: '::1', port: 7 })).toBe('udp://[::1]:7');
    expect(() => transport.format({ host: '::1', port: 70000 })).toThrow(RangeError);
  });

  it('bind gives a bound endpoint that exchanges datagrams', async () => {
    const server = await transport.bind(transport.parse('udp://127.0.0.1:0'));
    const client = await transport.bind(V4);
    try {
      expect(server).toBeInstanceOf(UDPEndpoint);
      await client.send('via transport', server.sockname);
      const [data, from] = await server.receive();
      expect(data.toString()).toBe('via transport');
      await server.send('back', from);
      expect((await client.receive())[0].toString()).toBe('back');
    } finally {
      server.close();
      client.close();
    }
  });

  it('bind of a bound port rejects with UDPError EADDRINUSE', async () => {
    const server = await transport.bind(V4);
    try {
      await expect(transport.bind({ host: '127.0.0.1', port: server.sockname.port })).rejects.toSatisfy(
        (err) => err instanceof UDPError && err.code === 'EADDRINUSE',
      );
    } finally {
      server.close();
    }
  });
});
