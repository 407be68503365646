import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { TCPClient, TCPConnection, TCPServer } from '../src/index.js';
import { listening } from './helpers.js';

/** Linux's table of IPv4 TCP sockets: it shows each socket's armed timer. */
const PROC_NET_TCP = '/proc/net/tcp';
/** `/proc/net/tcp`'s timer kind for the keep-alive timer. */
const KEEPALIVE_TIMER = 2;
/** Linux reports timers in clock ticks of USER_HZ, 100 a second on every architecture. */
const TICKS_PER_SECOND = 100;

/** The timer the kernel has armed on the IPv4 socket from `local` to `remote`. */
function kernelTimer(local: { port: number }, remote: { port: number }): { kind: number; seconds: number } {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  const row = readFileSync(PROC_NET_TCP, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1]?.endsWith(`:${hex(local.port)}`) && fields[2]?.endsWith(`:${hex(remote.port)}`));
  if (row === undefined) throw new Error(`No socket ${local.port} -> ${remote.port} in ${PROC_NET_TCP}`);
  const [kind, when] = row[5].split(':');
  return { kind: Number.parseInt(kind, 16), seconds: Number.parseInt(when, 16) / TICKS_PER_SECOND };
}

/** A client connected to a server with the given options, and the accepted connection. */
async function connectedPair(serverOptions: ConstructorParameters<typeof TCPServer>[1], clientOptions: ConstructorParameters<typeof TCPClient>[0]) {
  const accepted: TCPConnection[] = [];
  const server = await listening(new TCPServer((conn) => void accepted.push(conn), serverOptions));
  const client = new TCPClient(clientOptions);
  await client.connect(server.sockname);
  await until(() => accepted.length === 1, 'the connection to be accepted');
  return { server, client, conn: accepted[0] };
}

describe('TCP socket options', () => {
  it('rejects option values of the wrong type with TypeError and out of range with RangeError', () => {
    expect(() => new TCPClient({ noDelay: 'yes' as never })).toThrow(TypeError);
    expect(() => new TCPClient({ keepAlive: 1 as never })).toThrow(TypeError);
    expect(() => new TCPClient({ keepAliveInitialDelayMs: -1 })).toThrow(RangeError);
    expect(() => new TCPClient({ keepAliveInitialDelayMs: 1.5 })).toThrow(RangeError);
    expect(() => new TCPClient({ highWaterMark: 0 })).toThrow(RangeError);
    expect(() => new TCPServer(undefined, { noDelay: null as never })).toThrow(TypeError);
    expect(() => new TCPServer(undefined, { keepAliveInitialDelayMs: Number.NaN })).toThrow(RangeError);
  });

  it('noDelay on and off both carry data both ways', async () => {
    for (const noDelay of [true, false]) {
      const { server, client, conn } = await connectedPair({ noDelay }, { noDelay });
      try {
        client.write('a');
        client.write('b\n');
        expect((await conn.readUntil('\n')).toString()).toBe('ab\n');
        conn.write('c\n');
        expect((await client.readUntil('\n')).toString()).toBe('c\n');
      } finally {
        client.close();
        await server.close();
      }
    }
  });
});

// Keep-alive is visible in the kernel's socket table on Linux; elsewhere only
// the validation above applies.
describe.runIf(existsSync(PROC_NET_TCP))('TCP keep-alive reaches the kernel (Linux /proc/net/tcp)', () => {
  const DELAY_SECONDS = 60; // well below the OS default of 7200 s, so the kernel's value tells them apart

  it('keepAlive with keepAliveInitialDelayMs arms the keep-alive timer on the client and on accepted connections', async () => {
    const options = { keepAlive: true, keepAliveInitialDelayMs: DELAY_SECONDS * 1000 };
    const { server, client } = await connectedPair(options, options);
    try {
      for (const [local, remote] of [[client.sockname, client.peername], [client.peername, client.sockname]]) {
        const timer = kernelTimer(local, remote);
        expect(timer.kind).toBe(KEEPALIVE_TIMER);
        expect(timer.seconds).toBeGreaterThan(0);
        expect(timer.seconds).toBeLessThanOrEqual(DELAY_SECONDS);
      }
    } finally {
      client.close();
      await server.close();
    }
  });

  it('without keepAlive no keep-alive timer is armed', async () => {
    const { server, client } = await connectedPair({}, {});
    try {
      expect(kernelTimer(client.sockname, client.peername).kind).not.toBe(KEEPALIVE_TIMER);
      expect(kernelTimer(client.peername, client.sockname).kind).not.toBe(KEEPALIVE_TIMER);
    } finally {
      client.close();
      await server.close();
    }
  });
});
