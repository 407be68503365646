import { describe, expect, it } from 'vitest';
import type { Transport } from '@evergreen/stream-core';
import { ECONNREFUSED } from '@evergreen/errno';
import { TCPClient, TCPError, TCPServer, transport } from '../src/index.js';
import { rawServer, rejection } from './helpers.js';

describe('the tcp transport plugin', () => {
  it('is a stream transport for the tcp scheme', () => {
    const plugin: Transport = transport;
    expect(plugin.kind).toBe('stream');
    expect(plugin.scheme).toBe('tcp');
  });

  it('parses IPv4, bracketed IPv6 and names', () => {
    expect(transport.parse('tcp://127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(transport.parse('tcp://[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(transport.parse('tcp://localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(transport.parse('tcp://127.0.0.1:65535/')).toEqual({ host: '127.0.0.1', port: 65535 });
    expect(transport.parse('tcp://[::ffff:127.0.0.1]:7000')).toEqual({ host: '::ffff:127.0.0.1', port: 7000 });
  });

  it.each([
    ['udp://127.0.0.1:7000', /scheme is "udp", expected "tcp"/],
    ['tcp://127.0.0.1', /no port/],
    ['tcp://127.0.0.1:', /no port/],
    ['tcp://127.0.0.1:65536', /port 65536 is out of range/],
    ['tcp://127.0.0.1:7000/path', /a path \("\/path"\) is not allowed/],
    ['tcp://127.0.0.1:7000?backlog=5', /a query \("\?backlog=5"\) is not allowed/],
    ['tcp://127.0.0.1:7000#x', /a fragment/],
    ['tcp://user:secret@127.0.0.1:7000', /credentials/],
    ['tcp:7000', /no host/],
    ['127.0.0.1:7000', /not a valid URI \(expected "tcp:\/\/host:port"\)/],
    ['not a uri', /not a valid URI/],
  ])('parse(%j) throws a TypeError naming the problem', (uri, problem) => {
    expect(() => transport.parse(uri)).toThrow(TypeError);
    expect(() => transport.parse(uri)).toThrow(problem);
  });

  it('formats addresses, bracketing IPv6, so that parse(format(a)) is a', () => {
    expect(transport.format({ host: '127.0.0.1', port: 7000 })).toBe('tcp://127.0.0.1:7000');
    expect(transport.format({ host: '::1', port: 7000 })).toBe('tcp://[::1]:7000');
    expect(transport.format({ address: '::1', port: 1 })).toBe('tcp://[::1]:1');
    for (const address of [{ host: '127.0.0.1', port: 0 }, { host: '::1', port: 7000 }, { host: 'localhost', port: 80 }]) {
      expect(transport.parse(transport.format(address))).toEqual(address);
    }
    expect(() => transport.format({ host: '::1' } as never)).toThrow(TypeError);
  });

  it('creates a TCPServer and connects TCPClients to it from parsed URIs', async () => {
    const server = transport.createServer(async (conn) => {
      conn.write(await conn.readUntil('\n'));
    });
    expect(server).toBeInstanceOf(TCPServer);
    try {
      await server.bind(transport.parse('tcp://[::1]:0'));
      void server.serve();
      const uri = transport.format(server.sockname);
      const client = await transport.connect(transport.parse(uri), { highWaterMark: 64 * 1024 });
      try {
        expect(client).toBeInstanceOf(TCPClient);
        client.write('via the plugin\n');
        expect((await client.readUntil('\n')).toString()).toBe('via the plugin\n');
      } finally {
        client.close();
      }
    } finally {
      await server.close();
    }
  });

  it('connect rejects with TCPError ECONNREFUSED, or with the reason of an aborted signal', async () => {
    const free = await rawServer(() => {});
    await free.close();
    const address = { host: '127.0.0.1', port: free.port };
    const refused = await rejection(transport.connect(address));
    expect(refused).toBeInstanceOf(TCPError);
    expect((refused as TCPError).errno).toBe(ECONNREFUSED);
    const reason = new Error('cancelled');
    await expect(transport.connect(address, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
