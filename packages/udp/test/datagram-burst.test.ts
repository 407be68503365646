import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_QUEUED_DATAGRAMS, type UDPEndpoint } from '../src/index.js';
import { V4, arrivals, bound, kernelDrops, makeDatagram, sequenceOf, until } from './helpers.js';

const BURST_DATAGRAMS = 10_000;
/** Datagrams sent before letting the receiver catch up: ~100 small datagrams fit any kernel receive buffer. */
const BATCH_DATAGRAMS = 100;
/** 1-ms steps without a new arrival after which a batch counts as settled (the kernel dropped the rest). */
const STALL_STEPS = 50;

/**
 * Sends test datagrams `first`..`first + count - 1` to `receiver` in batches,
 * waiting after each until the receiver has seen the batch (kept or dropped)
 * or arrivals stall — so the kernel's buffer, which the test cannot bound,
 * is not what drops them.
 */
async function sendPaced(sender: UDPEndpoint, receiver: UDPEndpoint, count: number, first = 0): Promise<void> {
  const to = receiver.sockname;
  const before = arrivals(receiver);
  for (let start = 0; start < count; start += BATCH_DATAGRAMS) {
    const end = Math.min(count, start + BATCH_DATAGRAMS);
    const sends: Promise<void>[] = [];
    for (let i = start; i < end; i++) sends.push(sender.send(makeDatagram(first + i), to));
    await Promise.all(sends);
    await until(() => arrivals(receiver) - before >= end, () => arrivals(receiver), STALL_STEPS);
  }
}

/** Receives every queued datagram and returns their sequence numbers (-1 for a corrupt one). */
async function drainQueued(receiver: UDPEndpoint): Promise<number[]> {
  const sequences: number[] = [];
  while (receiver.stats.queued > 0) sequences.push(sequenceOf((await receiver.receive())[0]));
  return sequences;
}

function expectIntactUniqueInOrder(sequences: number[]): void {
  expect(sequences).not.toContain(-1);
  expect(new Set(sequences).size).toBe(sequences.length);
  expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
}

/** 10,000 datagrams into an endpoint nobody receives from until the end. */
async function burstIntoIdleReceiver(): Promise<{ receiver: UDPEndpoint; sequences: number[] }> {
  const receiver = await bound(V4);
  const sender = await bound(V4);
  await sendPaced(sender, receiver, BURST_DATAGRAMS);
  const stats = receiver.stats;
  expect(stats.queued).toBe(stats.received);
  return { receiver, sequences: await drainQueued(receiver) };
}

/**
 * 10,000 datagrams into a small queue read by a consumer that keeps pausing.
 * `settled` runs once everything arrived and was consumed, before the
 * receiver closes.
 */
async function burstIntoSlowConsumer(
  maxQueuedDatagrams: number,
  settled: (receiver: UDPEndpoint) => void = () => {},
): Promise<{ receiver: UDPEndpoint; sequences: number[] }> {
  const receiver = await bound(V4, { maxQueuedDatagrams });
  const sender = await bound(V4);
  const sequences: number[] = [];
  const consuming = (async () => {
    for await (const [data] of receiver) {
      sequences.push(sequenceOf(data));
      if (sequences.length % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  await sendPaced(sender, receiver, BURST_DATAGRAMS);
  expect(await until(() => receiver.stats.queued === 0)).toBe(true);
  settled(receiver);
  receiver.close();
  await consuming;
  return { receiver, sequences };
}

describe('a burst of 10,000 datagrams', () => {
  it('into an idle endpoint keeps the first 1024 intact and counts the rest as dropped', async () => {
    const { receiver, sequences } = await burstIntoIdleReceiver();
    const { received, dropped, peakQueued } = receiver.stats;
    expect(received).toBe(DEFAULT_MAX_QUEUED_DATAGRAMS);
    expect(peakQueued).toBe(DEFAULT_MAX_QUEUED_DATAGRAMS);
    expect(sequences).toHaveLength(received);
    expectIntactUniqueInOrder(sequences);
    expect(dropped).toBeGreaterThan(0);
    expect(received + dropped).toBeLessThanOrEqual(BURST_DATAGRAMS);
  });

  it('into a queue of 64 read by a slow consumer: every datagram is received intact or counted as dropped', async () => {
    const { receiver, sequences } = await burstIntoSlowConsumer(64);
    const { received, dropped, peakQueued } = receiver.stats;
    expect(peakQueued).toBeLessThanOrEqual(64);
    expect(sequences).toHaveLength(received);
    expectIntactUniqueInOrder(sequences);
    expect(received + dropped).toBeLessThanOrEqual(BURST_DATAGRAMS);
  });
});

describe.runIf(process.platform === 'linux')('a burst of 10,000 datagrams, with the kernel drops Linux counts in /proc/net/udp', () => {
  it('into an idle endpoint: received + dropped + kernel drops === sent', async () => {
    const { receiver } = await burstIntoIdleReceiver();
    const { received, dropped } = receiver.stats;
    expect(received + dropped + kernelDrops(receiver.sockname.port)).toBe(BURST_DATAGRAMS);
  });

  it('into a slow consumer: received + dropped + kernel drops === sent', async () => {
    let kernel = Number.NaN;
    const { receiver, sequences } = await burstIntoSlowConsumer(64, (settled) => {
      kernel = kernelDrops(settled.sockname.port);
    });
    const { received, dropped } = receiver.stats;
    expect(sequences).toHaveLength(received);
    expect(received + dropped + kernel).toBe(BURST_DATAGRAMS);
  });
});
