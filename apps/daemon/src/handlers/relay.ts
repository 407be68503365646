import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BaseStream } from '@evergreen/stream-core';
import { BufferPool } from './buffer-pool.js';

/** The most bytes one relay step moves (one socket read's worth). */
export const RELAY_CHUNK_BYTES = 64 * 1024;
/** Relay buffers kept for reuse by relays that go idle or end (at most 4 MiB held). */
const FREE_RELAY_BUFFERS = 64;

/**
 * Relay steps served from bytes already buffered (no wait for the OS) one
 * direction takes in a row before it lets the event loop serve others
 * (512 KiB): the streams' read budget bounds how much a socket reads in a
 * turn, this how much of what it buffered meanwhile is moved on.
 */
const BUFFERED_STEPS_PER_TURN = 8;

const relayBuffers = new BufferPool(RELAY_CHUNK_BYTES, FREE_RELAY_BUFFERS);

/**
 * Moves every byte from `from` to `to` until `from` ends, then shuts `to`'s
 * write side (the half-close passes through). Backpressure both ways: when
 * `to` cannot take more at once, reading `from` waits for `to` to flush, so
 * `from`'s buffer fills and its socket pauses at its `highWaterMark`.
 *
 * Memory: a relay waiting for bytes holds no buffer, so an idle connection
 * costs its sockets and nothing more; until its first bytes it waits in
 * `readable()`, holding no read either. Its reads take a 64 KiB buffer from a
 * shared pool only once bytes are there (`readInto` given a target
 * function), and the buffer goes back as soon as the OS has taken its bytes
 * (`write` true: the kernel copied them; false: after `flush()`) and nothing
 * more is buffered; while more is, the next read reuses it at once. So the
 * buffers in use are those of the relays moving bytes at that moment, not
 * one per connection, and no chunk allocates. Each byte is copied once, out
 * of the socket's shared read memory.
 * Fairness: a relay moves at most BUFFERED_STEPS_PER_TURN chunks of what
 * `from` had buffered before it lets the event loop serve other streams
 * (the stream's own `readBudget` bounds what it reads from the OS).
 * Cost: one await per read. Rejects with the first read, write or shutdown error.
 */
export function relay(from: BaseStream, to: BaseStream): Promise<void> {
  // Until its first bytes, a direction waits holding no read of its own
  // (many connections stay idle, or only one side ever speaks), nor a
  // buffer, closure or suspended frame (not an async function: a reaction
  // is smaller); the first chunk is then copied twice, every later one once.
  return from.readable().then(() => moveBytes(from, to));
}

/** `relay` once `from` is readable: moves its bytes to `to` until it ends, then shuts `to` down. */
async function moveBytes(from: BaseStream, to: BaseStream): Promise<void> {
  let buffer: Buffer | undefined;
  const provide = (): Buffer => (buffer ??= relayBuffers.take());
  let bufferedSteps = 0;
  try {
    for (;;) {
      // A step that waits for the OS starts a new turn; one that does not keeps the turn going.
      if (from.readableLength === 0) bufferedSteps = 0;
      else if (++bufferedSteps > BUFFERED_STEPS_PER_TURN) {
        bufferedSteps = 0;
        await nextTurn();
      }
      const n = await from.readInto(buffer ?? provide, { partial: true });
      if (n === 0) break;
      if (!to.write(buffer!.subarray(0, n))) await to.flush();
      // Nothing references the buffer now: the write was taken or flushed.
      if (from.readableLength === 0) buffer = relayBuffers.give(buffer!);
    }
  } catch (error) {
    // A failed write may still hold the buffer: it is left to the collector.
    if (buffer !== undefined) relayBuffers.discard();
    throw error;
  }
  await to.shutdown();
}

/** Relay buffers taken from the pool and not yet given back: those of relays that are moving bytes (for tests and diagnostics). */
export function relayBuffersInUse(): number {
  return relayBuffers.inUse;
}

/**
 * Relays `a` and `b` both ways until both directions have ended; a normal
 * end passes through as a half-close. When either direction fails (a
 * reset, a read or write error, a stream closed under it), both streams are
 * reset at once (`reset()`: RST over TCP), so each peer learns the stream
 * was cut short instead of taking a truncated stream for a whole one, and
 * the promise rejects with that failure.
 */
export function relayBothWays(a: BaseStream, b: BaseStream): Promise<void> {
  // Not an async function, nor Promise.all with a catch per direction: an
  // idle connection holds one reaction per direction and no suspended frame.
  return new Promise((resolve, reject) => {
    let running = 2;
    const ended = (): void => {
      if (--running === 0) resolve();
    };
    const failed = (error: unknown): void => {
      a.reset();
      b.reset();
      reject(error);
    };
    relay(a, b).then(ended, failed);
    relay(b, a).then(ended, failed);
  });
}
