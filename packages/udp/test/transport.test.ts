import { readFileSync } from 'node:fs';
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

  it('bind through the DatagramTransport interface sets the socket buffer sizes it is given', async () => {
    const plugin: DatagramTransport<HostPort> = transport;
    // Linux caps SO_RCVBUF/SO_SNDBUF at rmem_max/wmem_max and doubles what it grants: asking at most the cap, at least that much is reported.
    const requested = Math.min(1024 * 1024, kernelLimit('rmem_max'), kernelLimit('wmem_max'));
    const socket = await plugin.bind(V4, { recvBufferSize: requested, sendBufferSize: requested });
    try {
      expect(socket).toBeInstanceOf(UDPEndpoint);
      expect((socket as UDPEndpoint).recvBufferSize).toBeGreaterThanOrEqual(requested);
      expect((socket as UDPEndpoint).sendBufferSize).toBeGreaterThanOrEqual(requested);
    } finally {
      socket.close();
    }
  });

  it('bind rejects a buffer size out of range with RangeError and one of the wrong type with TypeError', async () => {
    await expect(transport.bind(V4, { recvBufferSize: 0 })).rejects.toThrow(RangeError);
    await expect(transport.bind(V4, { sendBufferSize: 2 ** 31 })).rejects.toThrow(RangeError);
    await expect(transport.bind(V4, { recvBufferSize: '65536' as never })).rejects.toThrow(TypeError);
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

/** A `net.core` socket buffer cap of this machine (`rmem_max`, `wmem_max`), in bytes. */
function kernelLimit(name: 'rmem_max' | 'wmem_max'): number {
  return Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim());
}
