import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StreamClosedError } from '@evergreen/stream-core';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient, TCPConnection, TCPError, TCPServer } from '../src/index.js';
import { listening } from './helpers.js';

/** The echo server of the original library: a subclass looping on readUntil. */
class EchoServer extends TCPServer {
  override async handleConnection(conn: TCPConnection): Promise<void> {
    for (let line = await conn.readUntil('\n'); line.length > 0; line = await conn.readUntil('\n')) conn.write(line);
  }
}

describe('TCP scenarios of the original library', () => {
  it('an echo server written as a TCPServer subclass echoes every line', async () => {
    const server = await listening(new EchoServer());
    const client = new TCPClient();
    try {
      await client.connect(server.sockname);
      for (const line of ['ping\n', 'pong\n', `${'long '.repeat(50_000)}\n`]) {
        client.write(line);
        expect((await client.readUntil('\n')).toString()).toBe(line);
      }
      await client.shutdown();
      expect((await client.readUntilClose()).length).toBe(0);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('write returns true on an idle connected socket', async () => {
    const server = await listening(new EchoServer());
    const client = new TCPClient();
    try {
      await client.connect(server.sockname);
      expect(client.write('hello\n')).toBe(true);
      expect((await client.readUntil('\n')).toString()).toBe('hello\n');
      client.close();
      // The handler sees the end of the stream and returns: no read is left to reject.
      await until(() => server.connections.size === 0, 'the handler to finish');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('a read after close() rejects with a TCPError that is a StreamClosedError', async () => {
    const server = await listening(new EchoServer());
    const client = new TCPClient();
    try {
      await client.connect(server.sockname);
      client.close();
      const error = await client.readBytes(1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TCPError);
      expect(error).toBeInstanceOf(StreamClosedError);
      expect((error as Error).name).toBe('StreamClosedError');
      expect(() => client.write('x')).toThrow(TCPError);
      expect(() => client.write('x')).toThrow(StreamClosedError);
      expect(() => client.write('x')).toThrow('Cannot write: the stream is closed');
      await until(() => server.connections.size === 0, 'the handler to finish');
    } finally {
      await server.close();
    }
  });

  it('a client that writes until write returns false, then shuts down, loses nothing', async () => {
    const CHUNK_BYTES = 64 * 1024;
    const MAX_CHUNKS = 4096; // 256 MiB: the kernel buffers fill long before
    let received: { bytes: number; digest: string } | undefined;
    const server = await listening(
      new TCPServer(async (conn) => {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of conn) {
          hash.update(chunk);
          bytes += chunk.length;
        }
        received = { bytes, digest: hash.digest('hex') };
      }),
    );
    const client = new TCPClient();
    try {
      await client.connect(server.sockname);
      const sent = createHash('sha256');
      let bytes = 0;
      let tookAtOnce = true;
      for (let i = 0; i < MAX_CHUNKS && tookAtOnce; i++) {
        const chunk = Buffer.alloc(CHUNK_BYTES, i % 251);
        chunk.writeUInt32LE(i, 0);
        sent.update(chunk);
        bytes += chunk.length;
        tookAtOnce = client.write(chunk);
      }
      expect(tookAtOnce).toBe(false);
      await client.shutdown();
      await until(() => received !== undefined, 'the server to read to the end');
      expect(received).toEqual({ bytes, digest: sent.digest('hex') });
    } finally {
      client.close();
      await server.close();
    }
  });
});
