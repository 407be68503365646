import type { BaseStream } from '@evergreen/stream-core';

/** The most bytes one relay step moves (one socket read's worth; partial reads never copy). */
export const RELAY_CHUNK_BYTES = 64 * 1024;

/**
 * Moves every byte from `from` to `to` until `from` ends, then shuts `to`'s
 * write side (the half-close passes through). Backpressure both ways: when
 * `to` cannot take more at once, reading `from` waits for `to` to flush, so
 * `from`'s buffer fills and its socket pauses at its `highWaterMark`.
 * Cost: one await per received chunk, no copy. Rejects with the first read,
 * write or shutdown error.
 */
export async function relay(from: BaseStream, to: BaseStream): Promise<void> {
  for (;;) {
    const chunk = await from.readBytes(RELAY_CHUNK_BYTES, { partial: true });
    if (chunk.length === 0) break;
    if (!to.write(chunk)) await to.flush();
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
