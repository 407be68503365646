import { describe, expect, it } from 'vitest';
import { RpcClient } from '../src/ctl/rpc-client.js';
import { ControlServer } from '../src/daemon/control/control-server.js';
import { MAX_CONTROL_CONNECTIONS } from '../src/protocol/limits.js';
import { RpcErrorCode } from '../src/protocol/rpc-error.js';
import { RawClient, onCleanup, recordingLog, startServer, until } from './helpers.js';

async function client(path: string): Promise<RpcClient> {
  const rpc = await RpcClient.connect(path);
  onCleanup(() => rpc.close());
  return rpc;
}

/** A raw client that has been answered `hello` (so it is idle from now on). */
async function greeted(path: string, msgid = 1): Promise<RawClient> {
  const raw = await RawClient.connect(path);
  raw.send([0, msgid, 'hello', []]);
  expect(await raw.next()).toMatchObject([1, msgid, null, { name: 'evergreend' }]);
  return raw;
}

describe('idle control connections', () => {
  it('an idle one is told why and closed after idleTimeoutMs; a subscriber and one with a request in progress are not idle', async () => {
    const log = recordingLog();
    const { server, path, controls } = await startServer({ log, idleTimeoutMs: 200 });
    const subscriber = await RawClient.connect(path);
    subscriber.send([0, 1, 'subscribe', [{ topics: ['servers'] }]]);
    expect(await subscriber.next()).toEqual([1, 1, null, { topics: ['servers'] }]);
    const waiting = await RawClient.connect(path);
    waiting.send([0, 1, 'wait', [{ id: 7 }]]);
    await until(() => controls.started === 1);
    const idle = await greeted(path);

    expect(await idle.rest()).toEqual([[2, 'error', [{ code: RpcErrorCode.BUSY, message: 'Closing the control connection: idle for 200 ms (control.idleTimeoutMs)' }]]]);
    expect(log.entries.filter((entry) => entry.message === 'Closing an idle control connection')).toHaveLength(1);
    // Both lived through the same 200 ms: still served.
    subscriber.send([0, 2, 'echo', [{ value: 'here' }]]);
    expect(await subscriber.next()).toEqual([1, 2, null, { value: 'here' }]);
    controls.gates.get(7)!.open();
    expect(await waiting.next()).toEqual([1, 1, null, { id: 7 }]);
    // Answered, the waiting one is idle from its reply on.
    expect((await waiting.rest())[0]).toMatchObject([2, 'error', [{ code: RpcErrorCode.BUSY }]]);
    expect(server.connections).toBe(1);
  });

  it('when every slot is taken, a newcomer gets in by closing the one idle longest (logged); busy ones are kept', async () => {
    const log = recordingLog();
    const { server, path, controls } = await startServer({ log });
    const oldest = await greeted(path);
    const busy = await RawClient.connect(path);
    busy.send([0, 1, 'wait', [{ id: 1 }]]);
    await until(() => controls.started === 1);
    const others: RawClient[] = [];
    for (let i = 2; i < MAX_CONTROL_CONNECTIONS; i++) others.push(await greeted(path));
    expect(server.connections).toBe(MAX_CONTROL_CONNECTIONS);

    const operator = await client(path);
    expect(await operator.call('echo', { value: 'status' })).toEqual({ value: 'status' });

    const [notice] = await oldest.rest();
    expect(notice).toEqual([2, 'error', [{ code: RpcErrorCode.BUSY, message: expect.stringMatching(/^Closing the control connection: 64 connections are open and this one was idle longest \(\d+ ms\); another client needed the room$/) }]]);
    expect(log.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual(['Closing the control connection idle longest: every connection is taken and another client came']);
    // The next newcomer takes the place of the next idle one, never the busy one.
    const second = await client(path);
    expect(await second.call('echo', { value: 'shutdown' })).toEqual({ value: 'shutdown' });
    expect((await others[0]!.rest())[0]).toMatchObject([2, 'error', [{ code: RpcErrorCode.BUSY }]]);
    controls.gates.get(1)!.open();
    expect(await busy.next()).toEqual([1, 1, null, { id: 1 }]);
  });

  it('reports idleTimeoutMs in hello, takes 0 for never, and refuses a bad one with a RangeError', async () => {
    const { path } = await startServer({ idleTimeoutMs: 0 });
    expect(((await (await client(path)).call('hello')) as { limits: Record<string, number> }).limits.idleTimeoutMs).toBe(0);
    for (const ms of [-1, 1.5, 2 ** 31]) {
      expect(() => new ControlServer({ path: '/tmp/unused.sock', methods: {}, info: { name: 'evergreend', version: '0', protocol: 1 }, idleTimeoutMs: ms })).toThrow(
        /^Cannot use idleTimeoutMs .*: expected an integer from 0 to 2147483647$/,
      );
    }
  });
});
