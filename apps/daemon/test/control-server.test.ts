import { lstatSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RpcClient } from '../src/ctl/rpc-client.js';
import { DaemonDisconnectedError } from '../src/ctl/daemon-disconnected-error.js';
import { MAX_CONTROL_CONNECTIONS, MAX_MESSAGE_BYTES, MAX_OUTSTANDING_REQUESTS } from '../src/protocol/limits.js';
import { RpcError, RpcErrorCode } from '../src/protocol/rpc-error.js';
import { ControlServer, type ControlServerOptions } from '../src/daemon/control/control-server.js';
import { RawClient, onCleanup, recordingLog, startServer, until } from './helpers.js';

async function client(path: string): Promise<RpcClient> {
  const rpc = await RpcClient.connect(path);
  onCleanup(() => rpc.close());
  return rpc;
}

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    return error as RpcError;
  }
  throw new Error('it resolved');
}

const STALL_CLOSE = 'Closing a control connection: it has not read what it was sent';

/**
 * A server with a 200 ms reply stall timeout and a client that sends
 * `count` requests for 64 KiB replies and then neither reads nor writes;
 * resolves once the server has closed that client.
 */
async function silentClientClosed(count: number) {
  const log = recordingLog();
  const { server, path, controls } = await startServer({ log, replyStallTimeoutMs: 200 });
  const raw = await RawClient.connect(path, { highWaterMark: 1024 });
  for (let id = 0; id < count; id++) raw.send([0, id, 'big', [{ bytes: 64 * 1024 }]]);
  await until(() => server.connections === 0);
  return { log, path, controls, raw };
}

/** Another connection still gets answers. */
async function stillServes(path: string): Promise<void> {
  const other = await client(path);
  expect(await other.call('echo', { value: 'still here' })).toEqual({ value: 'still here' });
  other.close();
}

/** A control server logging to a recording log, and a raw client (reading at most 1 KiB ahead) subscribed to its `log` topic. */
async function logSubscriber(options: Partial<ControlServerOptions> = {}) {
  const log = recordingLog();
  const { server, path } = await startServer({ log, ...options });
  const raw = await RawClient.connect(path, { highWaterMark: 1024 });
  raw.send([0, 1, 'subscribe', [{ topics: ['log'] }]]);
  expect(await raw.next()).toEqual([1, 1, null, { topics: ['log'] }]);
  return { log, server, path, raw };
}

describe('ControlServer', () => {
  it('answers hello with the name, version, protocol, methods and limits', async () => {
    const { path } = await startServer();
    const hello = (await (await client(path)).call('hello')) as Record<string, unknown>;
    expect(hello).toMatchObject({ name: 'evergreend', version: '0.0.0-test', protocol: 1, topics: ['servers', 'log'] });
    expect(hello.methods).toEqual(expect.arrayContaining(['hello', 'subscribe', 'unsubscribe', 'echo', 'typed']));
    expect(hello.limits).toMatchObject({ maxMessageBytes: MAX_MESSAGE_BYTES, maxControlConnections: 64, maxOutstandingRequests: 64, replyStallTimeoutMs: 60_000, idleTimeoutMs: 600_000 });
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31])('refuses replyStallTimeoutMs %s with a RangeError', (ms) => {
    expect(() => new ControlServer({ path: '/tmp/unused.sock', methods: {}, info: { name: 'evergreend', version: '0', protocol: 1 }, replyStallTimeoutMs: ms })).toThrow(
      /^Cannot use replyStallTimeoutMs .*: expected an integer from 1 to 2147483647$/,
    );
  });

  it('creates the socket 0600 in a 0700 directory and removes it on close', async () => {
    const { server, path } = await startServer();
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(lstatSync(path.replace(/\/control\.sock$/, '')).mode & 0o777).toBe(0o700);
    await server.close();
    expect(() => lstatSync(path)).toThrow(/ENOENT/);
  });

  it('answers pipelined requests out of order: a slow method does not delay a fast one', async () => {
    const { path, controls } = await startServer();
    const rpc = await client(path);
    const slow = rpc.call('wait', { id: 1 });
    const fast = await Promise.all(Array.from({ length: 100 }, (_, i) => rpc.call('echo', { value: i })));
    expect(fast).toEqual(Array.from({ length: 100 }, (_, i) => ({ value: i })));
    expect(controls.started).toBe(1);
    controls.gates.get(1)!.open();
    expect(await slow).toEqual({ id: 1 });
  });

  it('handles at most 64 requests of one connection at once, then reads on as replies go out', async () => {
    const { path, controls } = await startServer();
    const raw = await RawClient.connect(path);
    const count = MAX_OUTSTANDING_REQUESTS + 36;
    for (let id = 0; id < count; id++) raw.send([0, id, 'wait', [{ id }]]);
    await until(() => controls.started === MAX_OUTSTANDING_REQUESTS);
    // A round trip on another connection: the blocked one has had every chance to start more.
    await stillServes(path);
    expect(controls.started).toBe(MAX_OUTSTANDING_REQUESTS);
    controls.gates.get(0)!.open();
    expect(await raw.next()).toEqual([1, 0, null, { id: 0 }]);
    await until(() => controls.started === MAX_OUTSTANDING_REQUESTS + 1);
    for (let id = 1; id < count; id++) {
      await until(() => controls.gates.has(id));
      controls.gates.get(id)!.open();
    }
    const ids = new Set<number>();
    for (let i = 1; i < count; i++) ids.add((await raw.next())![1] as number);
    expect(ids.size).toBe(count - 1);
  });

  it('refuses a 65th connection with an error notification when none of the 64 is idle, and serves again once one closes', async () => {
    const { server, path } = await startServer();
    const clients: RpcClient[] = [];
    for (let i = 0; i < MAX_CONTROL_CONNECTIONS; i++) {
      clients.push(await client(path));
      // Subscribed: not idle, so not a connection a newcomer may take the place of.
      await clients[i]!.call('subscribe', { topics: ['servers'] });
    }
    expect(server.connections).toBe(MAX_CONTROL_CONNECTIONS);
    const raw = await RawClient.connect(path);
    const [notification, ...rest] = await raw.rest();
    expect(notification).toEqual([2, 'error', [{ code: RpcErrorCode.BUSY, message: 'Cannot accept the control connection: 64 are open already, each subscribed or with a request in progress' }]]);
    expect(rest).toEqual([]);
    const refused = await client(path);
    const error = await rejection(refused.call('hello'));
    expect(error).toBeInstanceOf(DaemonDisconnectedError);
    expect((error as unknown as DaemonDisconnectedError).reason?.code).toBe(RpcErrorCode.BUSY);
    clients.pop()!.close();
    await until(() => server.connections === MAX_CONTROL_CONNECTIONS - 1);
    await stillServes(path);
  });

  it('replies -32601 to an unknown method and goes on serving the connection', async () => {
    const { path } = await startServer();
    const rpc = await client(path);
    const error = await rejection(rpc.call('nope', []));
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(RpcErrorCode.METHOD_NOT_FOUND);
    expect(error.message).toBe('Cannot call "nope": no such method');
    expect(await rpc.call('echo', { value: 1 })).toEqual({ value: 1 });
  });

  it('replies -32602 with data.path, data.value and data.expected for wrong params', async () => {
    const { path } = await startServer();
    const rpc = await client(path);
    const error = await rejection(rpc.call('typed', { servers: [{ listen: 'tcp://x' }, { listen: 5, mode: 'c' }] }));
    expect(error.code).toBe(RpcErrorCode.INVALID_PARAMS);
    expect(error.data).toEqual({ path: 'servers[1].listen', value: 5, expected: 'string' });
    expect(error.message).toMatch(/^Cannot accept the params: servers\[1\]\.listen: .*; servers\[1\]\.mode: /);
    const unknownKey = await rejection(rpc.call('typed', { servers: [], extra: true }));
    expect(unknownKey.data).toEqual({ path: 'extra', value: true, expected: expect.stringMatching(/Unrecognized key/) });
    const missing = await rejection(rpc.call('typed', {}));
    expect(missing.data).toMatchObject({ path: 'servers', value: null, expected: 'array' });
    const twoMaps = await rejection(rpc.call('typed', [{ servers: [] }, {}]));
    expect(twoMaps.code).toBe(RpcErrorCode.INVALID_PARAMS);
    const notMap = await rejection(rpc.call('typed', [5]));
    expect(notMap.data).toEqual({ path: '', value: 5, expected: 'object' });
    expect(await rpc.call('typed', [{ servers: [{ listen: 'a' }] }])).toBe(1);
  });

  it('sends a handler\'s RpcError as is and any other throw as a generic -32603, logging the detail', async () => {
    const log = recordingLog();
    const { path } = await startServer({ log });
    const rpc = await client(path);
    const refused = await rejection(rpc.call('refuse'));
    expect(refused.toObject()).toEqual({ code: RpcErrorCode.REFUSED, message: 'Cannot do it: refused', data: { why: 'test' } });
    const failed = await rejection(rpc.call('fail'));
    expect(failed.code).toBe(RpcErrorCode.INTERNAL_ERROR);
    expect(failed.message).not.toMatch(/secret/);
    expect(log.entries.some((entry) => entry.level === 'warn' && String((entry.details as { err?: Error }).err?.message) === 'secret detail')).toBe(true);
  });

  describe('hostile input costs only its own connection', () => {
    it('an over-limit message gets a -32700 error notification and is closed', async () => {
      const { path } = await startServer();
      const raw = await RawClient.connect(path);
      // A request whose string announces 2 MiB: refused from its header.
      raw.conn.write(Buffer.from([0x94, 0x00, 0x01, 0xa4, ...Buffer.from('echo'), 0x91, 0xdb, 0x00, 0x20, 0x00, 0x00]));
      const messages = await raw.rest();
      expect(messages).toEqual([[2, 'error', [{ code: RpcErrorCode.PARSE_ERROR, message: expect.stringMatching(/over the limit/) }]]]);
      await stillServes(path);
    });

    it('a message longer than 1 MiB made of small strings is refused before it is all sent', async () => {
      const { path } = await startServer();
      const raw = await RawClient.connect(path);
      const piece = Buffer.concat([Buffer.from([0xda, 0xff, 0x00]), Buffer.alloc(0xff00, 0x61)]);
      raw.conn.write(Buffer.from([0x94, 0x00, 0x01, 0xa4, ...Buffer.from('echo'), 0x91, 0xdc, 0x00, 0x20]));
      for (let i = 0; i < 17; i++) raw.conn.write(piece);
      const messages = await raw.rest();
      expect(messages).toEqual([[2, 'error', [{ code: RpcErrorCode.PARSE_ERROR, message: expect.stringMatching(/longer than the limit/) }]]]);
      await stillServes(path);
    });

    it.each([
      ['an HTTP probe', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['stray text', Buffer.from('hello\n')],
      ['a timestamp extension', Buffer.from([0x94, 0x00, 0x01, 0xa4, ...Buffer.from('echo'), 0x91, 0xd6, 0xff, 0, 0, 0, 0])],
    ])('%s gets a -32700 error notification and is closed', async (_name, bytes) => {
      const { path } = await startServer();
      const raw = await RawClient.connect(path);
      raw.conn.write(bytes);
      expect(await raw.rest()).toEqual([[2, 'error', [{ code: RpcErrorCode.PARSE_ERROR, message: expect.stringMatching(/^Cannot decode the message: /) }]]]);
      await stillServes(path);
    });

    it('a request with a msgid and a wrong shape gets a -32600 response and the connection goes on', async () => {
      const { path } = await startServer();
      const raw = await RawClient.connect(path);
      raw.send([0, 9, 42, []]);
      raw.send([0, 10, 'echo', { value: 1 }]);
      raw.send([0, 11, 'echo', [{ value: 1 }]]);
      expect(await raw.next()).toEqual([1, 9, { code: RpcErrorCode.INVALID_REQUEST, message: 'Cannot read the message: its method is not a string' }, null]);
      expect(await raw.next()).toEqual([1, 10, { code: RpcErrorCode.INVALID_REQUEST, message: 'Cannot read the message: its params are not an array' }, null]);
      expect(await raw.next()).toEqual([1, 11, null, { value: 1 }]);
    });

    it.each([
      ['a bad msgid', [0, -1, 'hello', []]],
      ['a msgid past uint32', [0, 2 ** 32, 'hello', []]],
      ['an unknown type', [7, 1, 'hello', []]],
      ['a response', [1, 1, null, null]],
      ['an empty array', []],
    ])('%s gets a -32600 error notification and is closed', async (_name, message) => {
      const { path } = await startServer();
      const raw = await RawClient.connect(path);
      raw.send(message);
      raw.send([0, 1, 'hello', []]);
      expect(await raw.rest()).toEqual([[2, 'error', [{ code: RpcErrorCode.INVALID_REQUEST, message: expect.stringMatching(/^Cannot read the message: /) }]]]);
      await stillServes(path);
    });

    it('a notification from the client gets no reply', async () => {
      const { path } = await startServer();
      const raw = await RawClient.connect(path);
      raw.send([2, 'whatever', []]);
      raw.send([0, 3, 'echo', [{ value: 'after' }]]);
      expect(await raw.next()).toEqual([1, 3, null, { value: 'after' }]);
    });

    it('a client that disconnects mid-request has its reply dropped quietly', async () => {
      const log = recordingLog();
      const { server, path, controls } = await startServer({ log });
      const raw = await RawClient.connect(path);
      raw.send([0, 1, 'wait', [{ id: 7 }]]);
      await until(() => controls.started === 1);
      raw.conn.close();
      controls.gates.get(7)!.open();
      await until(() => server.connections === 0);
      expect(log.entries.filter((entry) => entry.level === 'warn')).toEqual([]);
      await stillServes(path);
    });

    it('a client that never reads its replies stops being read, and reads them all later', async () => {
      const { path, controls } = await startServer();
      const raw = await RawClient.connect(path, { highWaterMark: 1024 });
      const count = 2000;
      for (let id = 0; id < count; id++) raw.send([0, id, 'big', [{ bytes: 64 * 1024 }]]);
      // Replies of 64 KiB each pile up unread: the server must stop handling this connection's requests.
      let seen = -1;
      for (let round = 0; round < 100 && seen !== controls.handled; round++) {
        seen = controls.handled;
        await stillServes(path);
      }
      expect(controls.handled).toBe(seen);
      expect(controls.handled).toBeLessThan(count / 4);
      for (let id = 0; id < count; id++) expect((await raw.next())![1]).toBe(id);
      expect(controls.handled).toBe(count);
    });

    it('a client that never reads is closed once its replies have waited replyStallTimeoutMs to go out; the others are served', async () => {
      const count = 200;
      const { log, path, controls, raw } = await silentClientClosed(count);
      expect(log.entries.filter((entry) => entry.message === STALL_CLOSE)).toEqual([{ level: 'warn', details: { session: expect.any(Number), timeoutMs: 200 }, message: STALL_CLOSE }]);
      expect(controls.handled).toBeLessThan(count);
      // The daemon's side is gone: reading on finds the end (or a reset, for the requests it never read).
      const ended = await raw.conn.readUntilClose({ maxBytes: count * 65 * 1024 }).then(
        () => 'end',
        (error: { code?: string }) => error.code,
      );
      expect(['end', 'ECONNRESET']).toContain(ended);
      await stillServes(path);
    });

    it('a client that sends a few big requests and then neither reads nor writes is closed once its replies have waited replyStallTimeoutMs', async () => {
      // 16 replies of 64 KiB: more than the socket holds, far fewer than the 64 requests handled at once.
      const count = 16;
      const { log, path, controls } = await silentClientClosed(count);
      // Started a few per event-loop turn, and none once the replies backed up.
      expect(controls.handled).toBeGreaterThan(0);
      expect(controls.handled).toBeLessThanOrEqual(count);
      expect(log.entries.map((entry) => entry.message)).toEqual([STALL_CLOSE]);
      await stillServes(path);
    });
  });

  describe('events', () => {
    it('sends published events to subscribers of their topic only', async () => {
      const { server, path } = await startServer();
      const rpc = await client(path);
      expect(await rpc.call('subscribe', { topics: ['servers'] })).toEqual({ topics: ['servers'] });
      const events = rpc.events()[Symbol.asyncIterator]();
      server.publish('log', { line: 'not for you' });
      server.publish('servers', { kind: 'added', name: 'echo' });
      expect((await events.next()).value).toEqual({ method: 'event', params: [{ topic: 'servers', kind: 'added', name: 'echo' }] });
      expect(await rpc.call('unsubscribe')).toEqual({ topics: [] });
      server.publish('servers', { kind: 'removed' });
      await rpc.call('subscribe', { topics: ['log'] });
      server.publish('log', { line: 'yours' });
      expect((await events.next()).value).toEqual({ method: 'event', params: [{ topic: 'log', line: 'yours' }] });
    });

    it('refuses an unknown topic with -32602 naming it', async () => {
      const { server, path } = await startServer();
      const error = await rejection((await client(path)).call('subscribe', { topics: ['servers', 'nope'] }));
      expect(error.code).toBe(RpcErrorCode.INVALID_PARAMS);
      expect(error.data).toMatchObject({ path: 'topics[1]', value: 'nope' });
      expect(() => server.publish('nope', {})).toThrow(RangeError);
    });

    it('a subscriber that stops reading a few big events is closed once they have waited replyStallTimeoutMs to go out', async () => {
      const { log, server } = await logSubscriber({ replyStallTimeoutMs: 200 });
      // 64 events of 60 KB: more than the socket holds, far fewer than its queue's 1024.
      const line = 'l'.repeat(60_000);
      for (let n = 0; n < 64; n++) server.publish('log', { n, line });
      await until(() => server.connections === 0);
      expect(log.entries.map((entry) => entry.message)).toEqual([STALL_CLOSE]);
    });

    it('a subscriber that caught up after falling behind takes a burst of events in one tick again, none dropped', async () => {
      const { log, server, raw } = await logSubscriber();
      // Falls behind once: 32 events of 60 KB are more than the socket holds.
      const big = 'b'.repeat(60_000);
      for (let n = 0; n < 32; n++) server.publish('log', { n, line: big });
      const nextEvent = async () => (await raw.next()) as [2, string, [{ n: number; line: string }]];
      for (let n = 0; n < 32; n++) expect(await nextEvent()).toMatchObject([2, 'event', [{ n, line: big }]]);
      // Caught up: a burst in one tick a little over the queue's 1,024 events
      // goes straight to the socket (which takes well over the 76 small
      // writes that leaves), none waits in the queue long enough to be dropped.
      for (let n = 0; n < 1100; n++) server.publish('log', { n, line: 'small' });
      for (let n = 0; n < 1100; n++) expect(await nextEvent()).toMatchObject([2, 'event', [{ n, line: 'small' }]]);
      expect(log.entries.map((entry) => entry.message)).toEqual([]);
    });

    it('a subscriber that stops reading gets one dropped event, and is closed when it still does not read', async () => {
      const { log, server, path, raw } = await logSubscriber();
      const overflowed = () => log.entries.some((entry) => entry.message.startsWith('Dropping events'));
      let published = 0;
      const line = 'l'.repeat(200);
      for (; published < 200_000 && !overflowed(); published++) {
        server.publish('log', { n: published, line });
        if (published % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(overflowed()).toBe(true);
      // It reads again: every event up to the overflow in order, then one `dropped`, then the rest.
      let expected = 0;
      let dropped = 0;
      while (expected + dropped < published) {
        const [, method, [params]] = (await raw.next()) as [2, string, [{ n?: number; count?: number }]];
        if (method === 'dropped') {
          expect(dropped).toBe(0);
          dropped = params.count!;
          expect(dropped).toBeGreaterThan(0);
        } else {
          expect(params.n).toBe(expected + dropped);
          expected++;
        }
      }
      expect(dropped).toBeGreaterThan(0);
      // Now it never reads: after a second overflow it is closed.
      const closed = () => log.entries.some((entry) => entry.message.startsWith('Closing a control connection: a subscriber'));
      for (let i = 0; i < 400_000 && !closed(); i++) {
        server.publish('log', { n: i, line });
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(closed()).toBe(true);
      await until(() => server.connections === 0);
      await stillServes(path);
    });
  });

  it('closes every control connection on close(): pending calls reject', async () => {
    const { server, path } = await startServer();
    const rpc = await client(path);
    // Watched from the start: the call may fail while close() runs (its
    // request, sent at the end of this turn, can meet the closed socket).
    const pending = rejection(rpc.call('wait', { id: 3 }));
    await until(() => server.connections === 1);
    await server.close();
    const error = await pending;
    expect(error).toBeInstanceOf(DaemonDisconnectedError);
    expect(error.message).toMatch(/^Cannot complete "wait": the daemon closed the connection/);
  });
});
