import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SocketAddress } from '@evergreen/stream-core';
import { DatagramQueue, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_DATAGRAMS } from '../src/index.js';

const FROM: SocketAddress = { address: '127.0.0.1', port: 9, family: 'IPv4' };

describe('DatagramQueue', () => {
  it('defaults to 1024 datagrams and 4 MiB', () => {
    const queue = new DatagramQueue();
    expect(queue.maxDatagrams).toBe(DEFAULT_MAX_QUEUED_DATAGRAMS);
    expect(queue.maxBytes).toBe(DEFAULT_MAX_QUEUED_BYTES);
  });

  it('take(max) hands out the oldest datagrams, at most max, and frees their bytes', () => {
    const queue = new DatagramQueue();
    const data = [1, 2, 3, 4, 5].map((fill) => Buffer.alloc(fill, fill));
    for (const d of data) queue.push(d, FROM);
    expect(queue.take(2).map(([d]) => d)).toEqual(data.slice(0, 2));
    expect(queue.bytes).toBe(3 + 4 + 5);
    expect(queue.take(10).map(([d]) => d)).toEqual(data.slice(2));
    expect(queue).toMatchObject({ length: 0, bytes: 0 });
    expect(queue.take(10)).toEqual([]);
  });

  it('behaves as a bounded FIFO with tail drop under any mix of pushes and shifts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(-1)), { maxLength: 300 }),
        (maxDatagrams, maxBytes, ops) => {
          const queue = new DatagramQueue({ maxDatagrams, maxBytes });
          const model: Buffer[] = [];
          let dropped = 0;
          let peak = 0;
          let next = 0;
          for (const op of ops) {
            if (op < 0) {
              const expected = model.shift();
              const got = queue.shift();
              expect(got?.[0]).toBe(expected);
              continue;
            }
            const data = Buffer.alloc(op, next++ & 0xff);
            const bytes = model.reduce((sum, d) => sum + d.length, 0);
            const fits = model.length < maxDatagrams && bytes + op <= maxBytes;
            expect(queue.push(data, FROM)).toBe(fits);
            if (fits) model.push(data);
            else dropped++;
            peak = Math.max(peak, model.length);
          }
          expect(queue.length).toBe(model.length);
          expect(queue.bytes).toBe(model.reduce((sum, d) => sum + d.length, 0));
          expect(queue.dropped).toBe(dropped);
          expect(queue.peak).toBe(peak);
        },
      ),
    );
  });

  it('keeps order while it grows past its initial ring around a wrapped head', () => {
    const queue = new DatagramQueue({ maxDatagrams: 100 });
    for (let i = 0; i < 10; i++) queue.push(Buffer.from([i]), FROM);
    for (let i = 0; i < 8; i++) queue.shift();
    for (let i = 10; i < 60; i++) queue.push(Buffer.from([i]), FROM);
    const order: number[] = [];
    for (let datagram = queue.shift(); datagram !== undefined; datagram = queue.shift()) order.push(datagram[0][0]);
    expect(order).toEqual(Array.from({ length: 52 }, (_, i) => i + 8));
  });

  it('clear empties it without counting drops', () => {
    const queue = new DatagramQueue({ maxDatagrams: 2 });
    queue.push(Buffer.alloc(3), FROM);
    queue.push(Buffer.alloc(3), FROM);
    queue.push(Buffer.alloc(3), FROM);
    queue.clear();
    expect([queue.length, queue.bytes, queue.dropped, queue.shift()]).toEqual([0, 0, 1, undefined]);
  });

  it('rejects a negative or fractional bound with RangeError and a non-number with TypeError', () => {
    expect(() => new DatagramQueue({ maxDatagrams: -1 })).toThrow(RangeError);
    expect(() => new DatagramQueue({ maxBytes: 0.5 })).toThrow(RangeError);
    expect(() => new DatagramQueue({ maxDatagrams: '8' as never })).toThrow(TypeError);
  });
});
