import { mkdtempSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENOENT } from '@evergreen/errno';
import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { DuplexStream, StreamClosedError, type SocketConnector } from '../src/index.js';

class PathClient extends DuplexStream {
  connect(path: string, signal?: AbortSignal, connector?: SocketConnector<NetConnectOpts>): Promise<Socket> {
    return this._connectSocket({ path }, signal, undefined, connector);
  }
}

const directory = mkdtempSync(join(tmpdir(), 'evergreen-duplex-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('DuplexStream._connectSocket', () => {
  it('a failed connect rejects with errno and code and leaves the stream closed', async () => {
    const client = new PathClient();
    client.write('buffered');
    const error = await client.connect(join(directory, 'nobody.sock')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOENT', errno: ENOENT });
    expect(client.closed).toBe(true);
    expect(() => client.write('more')).toThrow(StreamClosedError);
    await expect(client.flush()).rejects.toBeInstanceOf(StreamClosedError);
  });

  it('an aborted connect rejects with the reason and leaves the stream closed', async () => {
    const reason = new Error('give up');
    const early = new PathClient();
    await expect(early.connect(join(directory, 'nobody.sock'), AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(early.closed).toBe(true);
    const late = new PathClient();
    const controller = new AbortController();
    const connecting = late.connect(join(directory, 'other.sock'), controller.signal);
    controller.abort(reason);
    await expect(connecting).rejects.toBe(reason);
    expect(late.closed).toBe(true);
  });
});

describe('DuplexStream._connectSocket with a socket connector', () => {
  it('opens the socket with the connector, adding allowHalfOpen and onread, and is connected only on its ready event', async () => {
    const path = join(directory, 'connector.sock');
    const { createServer } = await import('node:net');
    const server = createServer((socket) => socket.end('hi'));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const seen: (NetConnectOpts & { allowHalfOpen?: boolean; onread?: unknown })[] = [];
      let readyEmitted = false;
      const connector: SocketConnector<NetConnectOpts> = {
        connect(options) {
          seen.push(options);
          const socket = netConnect(options);
          // The ready event comes a turn after 'connect', as 'secureConnect' comes after TLS's handshake.
          socket.once('connect', () => setImmediate(() => ((readyEmitted = true), socket.emit('evergreen-ready'))));
          return socket;
        },
        readyEvent: 'evergreen-ready',
      };
      const client = new PathClient();
      const socket = await client.connect(path, undefined, connector);
      expect(readyEmitted).toBe(true);
      expect(client.connected).toBe(true);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ path, allowHalfOpen: true, onread: DuplexStream._onread });
      expect(socket.allowHalfOpen).toBe(true);
      expect((await client.readUntilClose()).toString()).toBe('hi');
      client.close();
    } finally {
      server.close();
    }
  });
});

describe('DuplexStream byte counts', () => {
  it('bytesRead and bytesWritten follow the socket, both ways', async () => {
    const path = join(directory, 'counts.sock');
    const { createServer } = await import('node:net');
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      socket.write('0123456789');
      socket.on('data', () => {});
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const client = new PathClient();
      await client.connect(path);
      client.write('abc');
      await client.flush();
      expect((await client.readBytes(10)).toString()).toBe('0123456789');
      expect(client.bytesRead).toBe(10);
      expect(client.bytesWritten).toBe(3);
      client.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a handle that keeps no count reads 0', () => {
    const stream = new DuplexStream(new PassThrough());
    expect(stream.bytesRead).toBe(0);
    expect(stream.bytesWritten).toBe(0);
    stream.close();
  });
});

describe('DuplexStream fd', () => {
  it('is the socket\'s descriptor, one the process holds, while connected, and -1 once closed or for a handle without one', async () => {
    const { fstatSync } = await import('node:fs');
    const path = join(directory, 'fd.sock');
    const { createServer } = await import('node:net');
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const client = new PathClient();
      await client.connect(path);
      expect(client.fd).toBeGreaterThan(2);
      expect(fstatSync(client.fd).isSocket()).toBe(true);
      client.close();
      expect(client.fd).toBe(-1);
      expect(new DuplexStream(new PassThrough()).fd).toBe(-1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
