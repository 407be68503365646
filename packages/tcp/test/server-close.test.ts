import { describe, expect, it } from 'vitest';
import { StreamClosedError } from '@evergreen/stream-core';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient, TCPConnection, TCPError, TCPServer } from '../src/index.js';
import { listening, rejection } from './helpers.js';

// Its own file: the handle counts below start from this worker's baseline,
// not from handles other tests are still releasing.

/** The TCP handles libuv has open, by kind. */
function tcpHandles(): { sockets: number; servers: number } {
  const resources = process.getActiveResourcesInfo();
  return { sockets: resources.filter((r) => r === 'TCPSocketWrap').length, servers: resources.filter((r) => r === 'TCPServerWrap').length };
}

describe('TCPServer close under load', () => {
  it('closing the server while 100 clients are mid-read rejects every read and leaves no handle open', async () => {
    const CLIENTS = 100;
    const baseline = tcpHandles();
    const conns: TCPConnection[] = [];
    const serverReads: Promise<unknown>[] = [];
    const server = await listening(
      new TCPServer((conn) => {
        conns.push(conn);
        serverReads.push(rejection(conn.readUntil('\n')));
      }),
    );
    const address = server.sockname;
    const clients = Array.from({ length: CLIENTS }, () => new TCPClient());
    try {
      await Promise.all(clients.map((client) => client.connect(address)));
      for (const client of clients) client.write('half a record');
      const clientReads = clients.map((client) => client.readUntil('\n'));
      // Every server read holds its bytes and waits for the rest.
      await until(() => conns.length === CLIENTS && conns.every((conn) => conn.readableLength === 13), 'every record half to arrive');
      await server.close();
      for (const error of await Promise.all(serverReads)) {
        expect(error).toBeInstanceOf(StreamClosedError);
        expect(error).toBeInstanceOf(TCPError);
      }
      // The clients' reads end: the server closed its side.
      for (const record of await Promise.all(clientReads)) expect(record.length).toBe(0);
      expect(server.connections.size).toBe(0);
      expect(() => server.sockname).toThrow(TCPError);
      expect(() => server.sockname).toThrow(StreamClosedError);
      const late = await rejection(new TCPClient().connect(address));
      expect((late as TCPError).code).toBe('ECONNREFUSED');
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
    await until(() => {
      const now = tcpHandles();
      return now.sockets === baseline.sockets && now.servers === baseline.servers;
    }, 'every TCP handle to be released');
  });

});
