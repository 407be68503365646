import { lookup } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { EADDRINUSE, EADDRNOTAVAIL, EINVAL, EMSGSIZE } from '@evergreen/errno';
import { StreamClosedError, StreamError } from '@evergreen/stream-core';
import { UDPError, type UDPEndpoint } from '../src/index.js';
import { V4, V6, bound, endpoint, until } from './helpers.js';

/** Sends every datagram it receives back to its sender, until closed. */
function serveEcho(echo: UDPEndpoint): Promise<void> {
  return (async () => {
    for await (const [data, from] of echo) await echo.send(data, from);
  })();
}

describe('UDPEndpoint', () => {
  it('ping-pong: an echo endpoint returns PING, and a receive after close rejects with UDPError', async () => {
    const echo = await bound(V4);
    const served = serveEcho(echo);
    const client = endpoint();
    await client.send('PING', echo.sockname);
    const [data, from] = await client.receive();
    expect(data.toString()).toBe('PING');
    expect(from).toEqual(echo.sockname);
    client.close();
    expect(client.closed).toBe(true);
    const err = await client.receive().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UDPError);
    expect(err).toBeInstanceOf(StreamClosedError);
    expect((err as Error).message).toBe('Cannot receive: the endpoint is closed');
    echo.close();
    await served;
  });

  it('exchanges datagrams over IPv6 loopback', async () => {
    const echo = await bound(V6);
    expect(echo.sockname).toMatchObject({ address: '::1', family: 'IPv6' });
    const served = serveEcho(echo);
    const client = endpoint();
    await client.send('over six', { host: '[::1]', port: echo.sockname.port });
    const [data, from] = await client.receive();
    expect(data.toString()).toBe('over six');
    expect(from).toEqual({ address: '::1', port: echo.sockname.port, family: 'IPv6' });
    expect(client.sockname.family).toBe('IPv6');
    echo.close();
    await served;
  });

  it('a first send without bind binds an ephemeral port of the destination family', async () => {
    const server = await bound(V4);
    const client = endpoint();
    expect(() => client.sockname).toThrow(UDPError);
    expect(() => client.sockname).toThrow(expect.objectContaining({ code: 'EINVAL', errno: EINVAL, message: 'Cannot read sockname: the endpoint is not bound' }));
    await client.send('hello', server.sockname);
    const { port, family } = client.sockname;
    expect(family).toBe('IPv4');
    expect(port).toBeGreaterThan(0);
    const [, from] = await server.receive();
    expect(from.port).toBe(port);
  });

  it('a receive issued before the first send gets the reply to it', async () => {
    const echo = await bound(V4);
    const served = serveEcho(echo);
    const client = endpoint();
    const reply = client.receive();
    await client.send('early', echo.sockname);
    expect((await reply)[0].toString()).toBe('early');
    echo.close();
    await served;
  });

  it('concurrent first sends share one socket', async () => {
    const server = await bound(V4);
    const client = endpoint();
    await Promise.all(['a', 'b', 'c'].map((text) => client.send(text, server.sockname)));
    const received = [await server.receive(), await server.receive(), await server.receive()];
    expect(received.map(([data]) => data.toString()).sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(received.map(([, from]) => from.port))).toEqual(new Set([client.sockname.port]));
  });

  it('a host name resolves, and its first address decides the family', async () => {
    const first = await lookup('localhost');
    const server = await bound({ host: first.address, port: 0 });
    const client = endpoint();
    await client.send('by name', { host: 'localhost', port: server.sockname.port });
    const [data] = await server.receive();
    expect(data.toString()).toBe('by name');
    expect(client.sockname.family).toBe(first.family === 6 ? 'IPv6' : 'IPv4');
    const named = await bound({ host: 'localhost', port: 0 });
    expect(named.sockname.address).toBe(first.address);
  });

  it('accepts { host, port }, [host, port] and { address, port }, so a sender goes straight back to send()', async () => {
    const server = await bound(V4);
    const client = await bound(V4);
    const { port } = server.sockname;
    await client.send('object', { host: '127.0.0.1', port });
    await client.send('tuple', ['127.0.0.1', port]);
    await client.send('sockname', server.sockname);
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [data, from] = await server.receive();
      texts.push(data.toString());
      await server.send(`re:${data}`, from);
    }
    expect(texts).toEqual(['object', 'tuple', 'sockname']);
    for (const text of texts) expect((await client.receive())[0].toString()).toBe(`re:${text}`);
  });

  it('rejects a malformed address with TypeError and a bad port with RangeError', async () => {
    const client = endpoint();
    await expect(client.send('x', { host: '127.0.0.1' } as never)).rejects.toThrow(TypeError);
    await expect(client.send('x', { host: '', port: 1 })).rejects.toThrow(TypeError);
    await expect(client.send('x', ['127.0.0.1', 70000])).rejects.toThrow(RangeError);
    await expect(client.bind({ host: '127.0.0.1', port: -1 })).rejects.toThrow(RangeError);
  });

  it('iterates [data, from] and ends when the endpoint is closed', async () => {
    const server = await bound(V4);
    const client = await bound(V4);
    for (const text of ['one', 'two', 'three']) await client.send(text, server.sockname);
    const seen: string[] = [];
    for await (const [data, from] of server) {
      expect(from).toEqual(client.sockname);
      seen.push(data.toString());
      if (seen.length === 3) server.close();
    }
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it('leaving an iteration early keeps the endpoint open and queueing', async () => {
    const server = await bound(V4);
    const client = await bound(V4);
    await client.send('first', server.sockname);
    for await (const [data] of server) {
      expect(data.toString()).toBe('first');
      break;
    }
    expect(server.closed).toBe(false);
    await client.send('second', server.sockname);
    expect((await server.receive())[0].toString()).toBe('second');
  });

  it('return() on an iterator with a next() in flight ends that step: the next datagram goes to receive()', async () => {
    const server = await bound(V4);
    const client = await bound(V4);
    const iterator = server[Symbol.asyncIterator]();
    const inFlight = iterator.next();
    await iterator.return!();
    expect((await inFlight).done).toBe(true);
    await client.send('kept', server.sockname);
    expect((await server.receive({ signal: AbortSignal.timeout(5000) }))[0].toString()).toBe('kept');
  });

  describe('close', () => {
    it('a send after close rejects with a UDPError that is a StreamClosedError', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      client.close();
      const err = await client.send('late', server.sockname).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UDPError);
      expect(err).toBeInstanceOf(StreamClosedError);
      expect((err as Error).message).toMatch(/^Cannot send to 127\.0\.0\.1:\d+: the endpoint is closed/);
      const never = endpoint();
      never.close();
      await expect(never.send('x', server.sockname)).rejects.toBeInstanceOf(StreamClosedError);
      await expect(never.bind(V4)).rejects.toBeInstanceOf(StreamClosedError);
    });

    it('close rejects a send it overtook instead of leaving it pending', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      const sending = client.send('overtaken', server.sockname);
      client.close();
      await expect(sending).rejects.toBeInstanceOf(StreamClosedError);
    });

    it('void send() then close() leaves no unhandled rejection, bound or still binding', async () => {
      const server = await bound(V4);
      const unhandled: unknown[] = [];
      const record = (reason: unknown): void => void unhandled.push(reason);
      process.on('unhandledRejection', record);
      try {
        const client = await bound(V4);
        void client.send('in flight', server.sockname);
        client.close();
        const unbound = endpoint();
        void unbound.send('waits for the first bind', server.sockname);
        unbound.close();
        // Unhandled rejections are reported once the microtasks have drained.
        for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('unhandledRejection', record);
      }
      expect(unhandled).toEqual([]);
    });

    it('a send waiting for the first bind rejects with StreamClosedError when close() overtakes it', async () => {
      const server = await bound(V4);
      const client = endpoint();
      const sending = client.send('never bound', server.sockname);
      client.close();
      await expect(sending).rejects.toBeInstanceOf(StreamClosedError);
    });

    it('reports bad arguments of send(), bind() and receive() as rejections, never synchronous throws', async () => {
      const client = await bound(V4);
      let bad: Promise<unknown> | undefined;
      expect(() => (bad = client.send('x', { host: '127.0.0.1', port: 70000 }))).not.toThrow();
      await expect(bad).rejects.toBeInstanceOf(RangeError);
      expect(() => (bad = client.send(42 as unknown as string, { host: '127.0.0.1', port: 9 }))).not.toThrow();
      await expect(bad).rejects.toBeInstanceOf(TypeError);
      expect(() => (bad = client.bind('nonsense' as never))).not.toThrow();
      await expect(bad).rejects.toBeInstanceOf(TypeError);
      expect(() => (bad = client.receive({ signal: { aborted: false } as AbortSignal }))).not.toThrow();
      await expect(bad).rejects.toBeInstanceOf(TypeError);
      await expect(bad).rejects.toThrow('Cannot receive: expected signal to be an AbortSignal');
      // The bad receive took nothing: the next datagram goes to a good one.
      await client.send('still here', client.sockname);
      expect((await client.receive())[0].toString()).toBe('still here');
    });

    it('close rejects every waiting receive, and is idempotent', async () => {
      const server = await bound(V4);
      const waiting = [server.receive(), server.receive()];
      server.close();
      server.close();
      for (const receive of waiting) {
        const err = await receive.catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UDPError);
        expect(err).toBeInstanceOf(StreamClosedError);
      }
      expect(() => server.sockname).toThrow(StreamClosedError);
    });

    it('close during a bind leaves no socket and rejects the bind', async () => {
      const server = endpoint();
      const binding = server.bind(V4);
      server.close();
      await expect(binding).rejects.toBeInstanceOf(StreamClosedError);
      expect(() => server.sockname).toThrow(StreamClosedError);
    });

    it('await using closes the endpoint', async () => {
      let kept: UDPEndpoint | undefined;
      {
        await using scoped = await bound(V4);
        kept = scoped;
      }
      expect(kept.closed).toBe(true);
    });
  });

  describe('abortable receive', () => {
    it('an aborted receive rejects with the signal reason and the next datagram is not lost', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      const controller = new AbortController();
      const aborted = server.receive({ signal: controller.signal });
      const reason = new Error('gave up');
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
      await client.send('kept', server.sockname);
      expect((await server.receive())[0].toString()).toBe('kept');
      expect(server.stats).toMatchObject({ received: 1, dropped: 0 });
    });

    it('a datagram goes to the next waiting receive when the first was aborted', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      const controller = new AbortController();
      const first = server.receive({ signal: controller.signal });
      const second = server.receive();
      controller.abort();
      await expect(first).rejects.toMatchObject({ name: 'AbortError' });
      await client.send('for the second', server.sockname);
      expect((await second)[0].toString()).toBe('for the second');
    });

    it('an already aborted signal rejects at once and leaves the queued datagram', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      await client.send('queued', server.sockname);
      expect(await until(() => server.stats.queued === 1)).toBe(true);
      const reason = new Error('too late');
      await expect(server.receive({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(server.stats.queued).toBe(1);
      expect((await server.receive())[0].toString()).toBe('queued');
    });

    it('a receive that got its datagram ignores a later abort', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      const controller = new AbortController();
      const receiving = server.receive({ signal: controller.signal });
      await client.send('won', server.sockname);
      expect(await until(() => server.stats.received === 1)).toBe(true);
      controller.abort();
      expect((await receiving)[0].toString()).toBe('won');
    });
  });

  describe('errors', () => {
    it('an oversized datagram rejects with UDPError EMSGSIZE and the endpoint stays usable', async () => {
      const server = await bound(V4);
      const client = await bound(V4);
      const err = await client.send(Buffer.alloc(65_508), server.sockname).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UDPError);
      expect(err).toBeInstanceOf(StreamError);
      expect(err).toMatchObject({ code: 'EMSGSIZE', errno: EMSGSIZE });
      expect((err as Error).message).toMatch(/^Cannot send to 127\.0\.0\.1:\d+: /);
      expect((err as Error).cause).toMatchObject({ code: 'EMSGSIZE' });
      await client.send(Buffer.alloc(65_507, 7), server.sockname);
      const [data] = await server.receive();
      expect(data.length).toBe(65_507);
    });

    it('binding a port in use rejects with UDPError EADDRINUSE, and the endpoint may bind again', async () => {
      const first = await bound(V4);
      const second = endpoint();
      const err = await second.bind(first.sockname).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UDPError);
      expect(err).toMatchObject({ code: 'EADDRINUSE', errno: EADDRINUSE });
      expect((err as Error).cause).toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
      await second.bind(V4);
      expect(second.sockname.port).not.toBe(first.sockname.port);
    });

    it('binding twice, or after a send bound implicitly, rejects with UDPError EINVAL', async () => {
      const server = await bound(V4);
      const alreadyBound = { code: 'EINVAL', errno: EINVAL, message: 'Cannot bind 127.0.0.1:0: the endpoint is already bound' };
      const twice = await server.bind(V4).catch((e: unknown) => e);
      expect(twice).toBeInstanceOf(UDPError);
      expect(twice).toMatchObject(alreadyBound);
      const client = endpoint();
      await client.send('x', server.sockname);
      const afterSend = await client.bind(V4).catch((e: unknown) => e);
      expect(afterSend).toBeInstanceOf(UDPError);
      expect(afterSend).toMatchObject(alreadyBound);
    });

    it('sending data that is not bytes or a string rejects with TypeError', async () => {
      const server = await bound(V4);
      await expect(server.send(42 as never, server.sockname)).rejects.toThrow(TypeError);
    });
  });

  describe('options', () => {
    it('reuseAddr lets two endpoints bind the same port', async () => {
      const first = await bound(V4, { reuseAddr: true });
      const second = await bound(first.sockname, { reuseAddr: true });
      expect(second.sockname.port).toBe(first.sockname.port);
    });

    it('recvBufferSize and sendBufferSize reach the socket', async () => {
      const requested = 96 * 1024;
      const server = await bound(V4, { recvBufferSize: requested, sendBufferSize: requested });
      expect(server.recvBufferSize).toBeGreaterThanOrEqual(requested);
      expect(server.sendBufferSize).toBeGreaterThanOrEqual(requested);
    });

    it('rejects malformed options with TypeError and out-of-range ones with RangeError', () => {
      expect(() => endpoint({ ttl: 0 })).toThrow(RangeError);
      expect(() => endpoint({ ttl: 256 })).toThrow(RangeError);
      expect(() => endpoint({ multicastTTL: -1 })).toThrow(RangeError);
      expect(() => endpoint({ recvBufferSize: 0 })).toThrow(RangeError);
      expect(() => endpoint({ maxQueuedDatagrams: -1 })).toThrow(RangeError);
      expect(() => endpoint({ maxQueuedBytes: 1.5 })).toThrow(RangeError);
      expect(() => endpoint({ ttl: '64' as never })).toThrow(TypeError);
    });

    it('endpoints with ttl and multicast options bind and exchange datagrams', async () => {
      const server = await bound(V4, { ttl: 1, multicastTTL: 0, multicastLoopback: false });
      const client = await bound(V4, { ttl: 1 });
      await client.send('one hop', server.sockname);
      expect((await server.receive())[0].toString()).toBe('one hop');
    });
  });

  describe('multicast over loopback', () => {
    const GROUP = '239.255.42.99';

    it('a member of a group receives what is sent to the group; leaving twice is EADDRNOTAVAIL', async () => {
      const member = await bound({ host: GROUP, port: 0 }, { reuseAddr: true });
      member.addMembership(GROUP, '127.0.0.1');
      const sender = await bound(V4, { multicastInterface: '127.0.0.1', multicastTTL: 0, multicastLoopback: true });
      await sender.send('to the group', { host: GROUP, port: member.sockname.port });
      const [data, from] = await member.receive();
      expect(data.toString()).toBe('to the group');
      expect(from).toEqual(sender.sockname);
      member.dropMembership(GROUP, '127.0.0.1');
      const err = (() => {
        try {
          member.dropMembership(GROUP, '127.0.0.1');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UDPError);
      expect(err).toMatchObject({ code: 'EADDRNOTAVAIL', errno: EADDRNOTAVAIL });
    });

    it('joining a group needs a bound endpoint', () => {
      const unbound = endpoint();
      const message = 'Cannot join multicast group 239.255.42.99: the endpoint is not bound';
      expect(() => unbound.addMembership(GROUP)).toThrow(UDPError);
      expect(() => unbound.addMembership(GROUP)).toThrow(expect.objectContaining({ code: 'EINVAL', errno: EINVAL, message }));
    });
  });
});

describe.runIf(process.platform === 'linux')('UDPEndpoint broadcast (Linux: 127.255.255.255 is the broadcast address of lo)', () => {
  const BROADCAST = '127.255.255.255';

  it('a broadcast send needs the broadcast option', async () => {
    const receiver = await bound({ host: BROADCAST, port: 0 });
    const plain = await bound(V4);
    await expect(plain.send('no', receiver.sockname)).rejects.toMatchObject({ name: 'UDPError', code: 'EACCES' });
    const allowed = await bound(V4, { broadcast: true });
    await allowed.send('yes', receiver.sockname);
    const [data, from] = await receiver.receive();
    expect(data.toString()).toBe('yes');
    expect(from.port).toBe(allowed.sockname.port);
  });
});
