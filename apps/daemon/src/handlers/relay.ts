import type { BaseStream } from '@evergreen/stream-core';

/** The most bytes one relay step moves (one socket read's worth). */
export const RELAY_CHUNK_BYTES = 64 * 1024;

/**
 * Moves every byte from `from` to `to` until `from` ends, then shuts `to`'s
 * write side (the half-close passes through). Backpressure both ways: when
 * `to` cannot take more at once, reading `from` waits for `to` to flush, so
 * `from`'s buffer fills and its socket pauses at its `highWaterMark`.
 *
 * Cost: one await per read, and no allocation: bytes are read into one
 * buffer of this relay's, which is reused as soon as the OS has taken it
 * (`write` true: the kernel copied it; false: after `flush()`). Rejects with
 * the first read, write or shutdown error.
 */
export async function relay(from: BaseStream, to: BaseStream): Promise<void> {
  const buffer = Buffer.allocUnsafe(RELAY_CHUNK_BYTES);
  for (;;) {
    const n = await from.readInto(buffer, { partial: true });
    if (n === 0) break;
    if (!to.write(buffer.subarray(0, n))) await to.flush();
  }
  await to.shutdown();
}

/**
 * Relays `a` and `b` both ways until both directions have ended. When either
 * direction fails, both streams are closed at once (so the other direction
 * ends too) and the promise rejects with that failure.
 */
export async function relayBothWays(a: BaseStream, b: BaseStream): Promise<void> {
  const closeBoth = (error: unknown): never => {
    a.close();
    b.close();
    throw error;
  };
  await Promise.all([relay(a, b).catch(closeBoth), relay(b, a).catch(closeBoth)]);
}
