import { describe } from 'vitest';
import type { StreamTransportHarness } from './harness.js';
import { describeReads } from './reads.js';
import { describeLifecycle } from './lifecycle.js';
import { describeFlow } from './flow.js';

export type { StreamTransportHarness, ConnectedPair, PairOptions } from './harness.js';
export { connectPair, countSearchedBytes, until, sha256 } from './harness.js';

/**
 * The stream-transport compliance suite: every stream transport runs it
 * against itself over real OS handles (`describeStreamTransport(harness)`
 * inside a vitest file). It covers echo, delimiters split at every offset,
 * EOF with a partial record, half-close, close during a pending read, write
 * before connect, the backpressure bound, abort leaving the buffer intact,
 * concurrent reads in call order, a long record in linear time, `records()`
 * batches, `readInto`, and server close closing connections.
 */
export function describeStreamTransport<A>(harness: StreamTransportHarness<A>): void {
  describe(`${harness.name}: stream transport compliance`, () => {
    describeReads(harness);
    describeLifecycle(harness);
    describeFlow(harness);
  });
}
