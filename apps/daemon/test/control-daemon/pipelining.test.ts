import { describe, expect, it } from 'vitest';
import { afterTest, startDaemon } from './daemon-process.js';
import { SpecClient } from './spec-client.js';
import { roundTrip, tcpConnect } from './tcp-peer.js';

const STATUS_CALLS = 20;

describe('pipelined requests to a running evergreend', () => {
  it('answers status calls sent after a draining servers.remove before that remove, on the same connection', async () => {
    const daemon = await startDaemon();
    const rpc = await SpecClient.connect(daemon.socket);
    afterTest(() => rpc.close());
    const added = (await rpc.call('servers.add', { name: 'draining', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } })) as { address: string };
    const held = await tcpConnect(added.address);
    expect((await roundTrip(held, Buffer.from('held'))).toString()).toBe('held');

    const order: string[] = [];
    const remove = rpc.call('servers.remove', { name: 'draining', drainMs: 3000 }).then((info) => {
      order.push('remove');
      return info;
    });
    const statuses = Array.from({ length: STATUS_CALLS }, (_, i) =>
      rpc.call('status').then((status) => {
        order.push(`status ${i}`);
        return status;
      }),
    );
    const results = (await Promise.all(statuses)) as { servers: { stopping: number } }[];
    // Every status is answered while the remove still waits for the held connection to finish.
    expect(order).toEqual(Array.from({ length: STATUS_CALLS }, (_, i) => `status ${i}`));
    expect(results.every((status) => status.servers.stopping === 1)).toBe(true);
    // The draining server's open connection is still served; when it ends, the remove completes.
    expect((await roundTrip(held, Buffer.from('while draining'))).toString()).toBe('while draining');
    held.end();
    expect(await remove).toMatchObject({ name: 'draining', state: 'stopped' });
    expect(order.at(-1)).toBe('remove');
    expect(await rpc.call('status')).toMatchObject({ servers: { total: 1, stopping: 0 } });
  });
});
