import { connect } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { afterTest, startDaemon, type DaemonProcess } from './daemon-process.js';
import { ReplyError, SpecClient } from './spec-client.js';
import { echoOnce, roundTrip, tcpAddress, tcpConnect } from './tcp-peer.js';

/** The methods docs/control.md and the daemon's method table name. */
const METHODS = [
  'hello', 'subscribe', 'unsubscribe', 'status', 'servers.list', 'servers.add', 'servers.update', 'servers.remove', 'servers.pause',
  'servers.resume', 'connections.list', 'connections.close', 'stats', 'config.get', 'config.reload', 'tls.reload', 'log.setLevel', 'workers.restart', 'shutdown',
];

async function client(daemon: DaemonProcess): Promise<SpecClient> {
  const rpc = await SpecClient.connect(daemon.socket);
  afterTest(() => rpc.close());
  return rpc;
}

/** The error a call rejected with. */
async function failure(call: Promise<unknown>): Promise<ReplyError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ReplyError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

type ServerInfo = { name: string; address: string | null; state: string; pausedMode: string | null; stats: { accepted: number; active: number } };

describe('a client built from docs/control.md on node:net and @msgpack/msgpack drives a running evergreend', () => {
  it('calls hello and status and gets plain maps: the method list, the limits, the daemon pid and its servers', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    const hello = (await rpc.call('hello')) as Record<string, unknown>;
    expect(hello).toMatchObject({ name: 'evergreend', protocol: 1, topics: ['servers', 'connections', 'log'] });
    expect([...(hello.methods as string[])].sort()).toEqual([...METHODS].sort());
    expect(hello.limits).toEqual({
      maxMessageBytes: 1024 * 1024,
      maxStringBytes: 64 * 1024,
      maxArrayLength: 4096,
      maxMapLength: 256,
      maxDepth: 32,
      maxItemsPerMessage: 65_536,
      maxControlConnections: 64,
      maxOutstandingRequests: 64,
      subscriberQueueEvents: 1024,
      replyStallTimeoutMs: 60_000,
      idleTimeoutMs: 600_000,
    });
    const status = (await rpc.call('status')) as Record<string, unknown>;
    expect(status).toMatchObject({ name: 'evergreend', pid: daemon.pid, servers: { total: 1, listening: 1, paused: 0, stopping: 0 }, connections: 0 });
    // [] and [{}] are the same: no options.
    expect(await rpc.request('status', [{}])).toMatchObject({ error: null, result: { pid: daemon.pid } });
  });

  it('adds a server whose bound address a real TCP client is echoed by, lists it, and lists its connection', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    const added = (await rpc.call('servers.add', { name: 'added', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } })) as ServerInfo;
    expect(added).toMatchObject({ name: 'added', state: 'listening', pausedMode: null, origin: 'runtime', handler: { type: 'echo' } });
    expect(added.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(tcpAddress(added.address!).port).not.toBe(0);

    const peer = await tcpConnect(added.address!);
    expect((await roundTrip(peer, Buffer.from('hello, evergreen'))).toString()).toBe('hello, evergreen');

    const servers = (await rpc.call('servers.list')) as ServerInfo[];
    expect(servers.map((server) => [server.name, server.address])).toEqual([
      ['echo', daemon.servers[0]],
      ['added', added.address],
    ]);
    expect(servers[1]!.stats).toMatchObject({ accepted: 1, active: 1 });

    const page = (await rpc.call('connections.list', { server: 'added' })) as { total: number; offset: number; items: Record<string, unknown>[] };
    expect(page).toMatchObject({ total: 1, offset: 0 });
    expect(page.items).toEqual([expect.objectContaining({ server: 'added', source: '127.0.0.1', bytesIn: 16, bytesOut: 16 })]);
    expect(await rpc.call('connections.list', { server: 'echo' })).toMatchObject({ total: 0, items: [] });
  });

  it('pauses a server (its address is released, its open connection goes on), resumes it on a new address, and removes it', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    const added = (await rpc.call('servers.add', { name: 'paused', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } })) as ServerInfo;
    const held = await tcpConnect(added.address!);
    expect((await roundTrip(held, Buffer.from('before'))).toString()).toBe('before');

    const paused = (await rpc.call('servers.pause', { name: 'paused' })) as ServerInfo;
    expect(paused).toMatchObject({ state: 'paused', pausedMode: 'unbind', address: null });
    const refused = connect(tcpAddress(added.address!));
    afterTest(() => refused.destroy());
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect((await roundTrip(held, Buffer.from('while paused'))).toString()).toBe('while paused');

    const resumed = (await rpc.call('servers.resume', { name: 'paused' })) as ServerInfo;
    expect(resumed).toMatchObject({ state: 'listening', pausedMode: null });
    expect((await echoOnce(resumed.address!, Buffer.from('after'))).toString()).toBe('after');

    held.destroy();
    const removed = (await rpc.call('servers.remove', { name: 'paused', drainMs: 0 })) as ServerInfo;
    expect(removed).toMatchObject({ name: 'paused', state: 'stopped' });
    expect(((await rpc.call('servers.list')) as ServerInfo[]).map((server) => server.name)).toEqual(['echo']);
  });

  it('pauses in refuse mode: the address stays bound and each new connection is closed and counted', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    const paused = (await rpc.call('servers.pause', { name: 'echo', mode: 'refuse' })) as ServerInfo;
    expect(paused).toMatchObject({ state: 'paused', pausedMode: 'refuse', address: daemon.servers[0] });
    const peer = await tcpConnect(daemon.servers[0]!);
    peer.resume();
    await once(peer, 'close');
    expect(((await rpc.call('servers.list')) as (ServerInfo & { stats: { refused: Record<string, number> } })[])[0]!.stats.refused.paused).toBe(1);
  });

  it('gets error replies with the documented codes and data, and the connection goes on', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    const missing = await failure(rpc.call('servers.remove', { name: 'nope' }));
    expect(missing.code).toBe(-32001);
    expect(missing.message).toMatch(/^Cannot find server "nope": /);

    const invalid = await failure(rpc.call('servers.add', { name: 'bad', listen: 5, handler: { type: 'echo' } }));
    expect(invalid.code).toBe(-32602);
    expect(invalid.data).toEqual({ path: 'listen', value: 5, expected: 'string' });
    expect(invalid.message).toContain('listen: ');

    const tooMany = await rpc.request('status', [{}, {}]);
    expect(tooMany.error).toMatchObject({ code: -32602, data: { path: '', value: [{}, {}] } });

    const taken = await failure(rpc.call('servers.add', { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }));
    expect(taken.code).toBe(-32002);

    const bind = await failure(rpc.call('servers.add', { name: 'clash', listen: daemon.servers[0], handler: { type: 'echo' } }));
    expect(bind.code).toBe(-32004);
    expect(bind.data).toEqual({ errno: expect.any(Number), code: 'EADDRINUSE' });

    const unknown = await rpc.request('no.such.method');
    expect(unknown.error).toEqual({ code: -32601, message: 'Cannot call "no.such.method": no such method' });
    expect(unknown.result).toBeNull();

    expect(await rpc.call('status')).toMatchObject({ pid: daemon.pid });
  });

  it('answers a request with a valid msgid but a params map instead of an array with -32600, and a bad msgid with an error notification and a close', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    const wrongParams = await rpc.request('status', { not: 'an array' } as unknown as unknown[]);
    expect(wrongParams.error).toMatchObject({ code: -32600 });
    expect(await rpc.call('status')).toMatchObject({ pid: daemon.pid });

    rpc.socket.write(Buffer.from([0x94, 0x00, 0xff, 0xa6, ...Buffer.from('status'), 0x90])); // msgid -1
    await rpc.ended;
    expect(rpc.notifications.at(-1)).toEqual([2, 'error', [{ code: -32600, message: expect.stringMatching(/msgid/) }]]);
  });

  it('sends servers and connections events to a subscriber as [2, "event", [{ topic, … }]]', async () => {
    const daemon = await startDaemon();
    const rpc = await client(daemon);
    expect(await rpc.call('subscribe', { topics: ['servers', 'connections'] })).toEqual({ topics: ['servers', 'connections'] });
    expect((await echoOnce(daemon.servers[0]!, Buffer.from('x'))).toString()).toBe('x');
    const open = await rpc.notification((message) => (message[2] as { topic?: string; type?: string }[])[0]?.type === 'open');
    expect(open).toEqual([2, 'event', [{ topic: 'connections', type: 'open', id: expect.any(String), server: 'echo', source: '127.0.0.1' }]]);
    await rpc.call('servers.pause', { name: 'echo' });
    const state = await rpc.notification((message) => (message[2] as { topic?: string }[])[0]?.topic === 'servers');
    expect(state).toEqual([2, 'event', [{ topic: 'servers', type: 'state', name: 'echo', state: 'paused', pausedMode: 'unbind' }]]);
    expect(await rpc.call('unsubscribe')).toEqual({ topics: [] });
    const unknownTopic = await failure(rpc.call('subscribe', { topics: ['nope'] }));
    expect(unknownTopic.code).toBe(-32602);
  });
});
