import type { BaseStream } from '@evergreen/stream-core';
import { BufferPool } from './buffer-pool.js';

/** The most bytes one relay step moves (one socket read's worth). */
export const RELAY_CHUNK_BYTES = 64 * 1024;
/** Relay buffers kept for reuse by relays that end (at most 4 MiB held). */
const FREE_RELAY_BUFFERS = 64;

const relayBuffers = new BufferPool(RELAY_CHUNK_BYTES, FREE_RELAY_BUFFERS);

/**
 * Moves every byte from `from` to `to` until `from` ends, then shuts `to`'s
 * write side (the half-close passes through). Backpressure both ways: when
 * `to` cannot take more at once, reading `from` waits for `to` to flush, so
 * `from`'s buffer fills and its socket pauses at its `highWaterMark`.
 *
 * Cost: one await per read, and no allocation: bytes are read into one
 * buffer of this relay's, which is reused as soon as the OS has taken it
 * (`write` true: the kernel copied it; false: after `flush()`), and which
 * goes back to a pool for the next relay when this one ends. Rejects with
 * the first read, write or shutdown error.
 */
export async function relay(from: BaseStream, to: BaseStream): Promise<void> {
  const buffer = relayBuffers.take();
  for (;;) {
    const n = await from.readInto(buffer, { partial: true });
    if (n === 0) break;
    if (!to.write(buffer.subarray(0, n))) await to.flush();
  }
  // Nothing references the buffer now: the last write was taken or flushed.
  // (A relay that fails leaves its buffer to the collector: a write may still hold it.)
  relayBuffers.give(buffer);
  await to.shutdown();
}

/**
 * Relays `a` and `b` both ways until both directions have ended; a normal
 * end passes through as a half-close. When either direction fails (a
 * reset, a read or write error, a stream closed under it), both streams are
 * reset at once (`reset()`: RST over TCP), so each peer learns the stream
 * was cut short instead of taking a truncated stream for a whole one, and
 * the promise rejects with that failure.
 */
export async function relayBothWays(a: BaseStream, b: BaseStream): Promise<void> {
  const resetBoth = (error: unknown): never => {
    a.reset();
    b.reset();
    throw error;
  };
  await Promise.all([relay(a, b).catch(resetBoth), relay(b, a).catch(resetBoth)]);
}
