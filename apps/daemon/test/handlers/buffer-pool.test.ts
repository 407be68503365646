import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/handlers/buffer-pool.js';

describe('BufferPool', () => {
  it('hands out buffers of its size, and a given-back buffer to the next taker', () => {
    const pool = new BufferPool(1024, 2);
    const first = pool.take();
    expect(first.length).toBe(1024);
    pool.give(first);
    expect(pool.take()).toBe(first);
    expect(pool.take()).not.toBe(first);
  });

  it('keeps at most maxFree buffers: one given back past that is dropped', () => {
    const pool = new BufferPool(16, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const buffer of taken) pool.give(buffer);
    const again = [pool.take(), pool.take(), pool.take()];
    expect(again.filter((buffer) => taken.includes(buffer))).toHaveLength(2);
    expect(taken).not.toContain(again[2]);
  });

  it('counts the buffers in use: taken and not yet given back or discarded', () => {
    const pool = new BufferPool(16, 1);
    const [a, b] = [pool.take(), pool.take()];
    expect(pool.inUse).toBe(2);
    pool.give(a);
    pool.discard();
    expect(pool.inUse).toBe(0);
    expect(pool.take()).toBe(a);
    expect(pool.take()).not.toBe(b);
  });
});
