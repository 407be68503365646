import { describe, expect, it } from 'vitest';
import type { UDPEndpoint } from '../src/index.js';
import { V4, arrivals, bound, makeDatagram, sequenceOf, until } from './helpers.js';

/** Sends each datagram and waits until the receiver has seen it (kept or dropped) before the next. */
async function sendOneByOne(sender: UDPEndpoint, receiver: UDPEndpoint, datagrams: Buffer[]): Promise<void> {
  for (const data of datagrams) {
    const expected = arrivals(receiver) + 1;
    await sender.send(data, receiver.sockname);
    expect(await until(() => arrivals(receiver) === expected)).toBe(true);
  }
}

describe('the receive queue bound', () => {
  it('with room for 4 datagrams keeps the first 4 of 10 and counts exactly 6 dropped', async () => {
    const receiver = await bound(V4, { maxQueuedDatagrams: 4 });
    const sender = await bound(V4);
    const datagrams = Array.from({ length: 10 }, (_, seq) => makeDatagram(seq));
    await sendOneByOne(sender, receiver, datagrams);
    const droppedBytes = datagrams.slice(4).reduce((sum, data) => sum + data.length, 0);
    expect(receiver.stats).toMatchObject({ received: 4, dropped: 6, droppedBytes, queued: 4, peakQueued: 4 });
    const kept = [];
    for (let i = 0; i < 4; i++) kept.push(sequenceOf((await receiver.receive())[0]));
    expect(kept).toEqual([0, 1, 2, 3]);
    await sendOneByOne(sender, receiver, [makeDatagram(10)]);
    expect(receiver.stats).toMatchObject({ received: 5, dropped: 6, queued: 1 });
  });

  it('with room for 100 bytes drops a datagram that would cross it, and keeps one that fits', async () => {
    const receiver = await bound(V4, { maxQueuedBytes: 100 });
    const sender = await bound(V4);
    await sendOneByOne(sender, receiver, [Buffer.alloc(40, 1), Buffer.alloc(40, 2), Buffer.alloc(40, 3), Buffer.alloc(20, 4)]);
    expect(receiver.stats).toMatchObject({ received: 3, receivedBytes: 100, dropped: 1, droppedBytes: 40, queuedBytes: 100 });
    const fills = [];
    for (let i = 0; i < 3; i++) fills.push((await receiver.receive())[0][0]);
    expect(fills).toEqual([1, 2, 4]);
    expect(receiver.stats.queuedBytes).toBe(0);
  });

  it('with room for none drops what arrives while nobody receives, and still serves a waiting receive', async () => {
    const receiver = await bound(V4, { maxQueuedDatagrams: 0 });
    const sender = await bound(V4);
    await sendOneByOne(sender, receiver, [Buffer.from('unheard')]);
    expect(receiver.stats).toMatchObject({ received: 0, dropped: 1 });
    const receiving = receiver.receive();
    await sender.send('heard', receiver.sockname);
    expect((await receiving)[0].toString()).toBe('heard');
    expect(receiver.stats).toMatchObject({ received: 1, dropped: 1, peakQueued: 0 });
  });
});
