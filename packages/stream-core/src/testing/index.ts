import { describe } from 'vitest';
import { clientPairsOf, pairsOf, type StreamPairHarness, type StreamTransportHarness } from './harness.js';
import { describeBorrowedReads } from './borrowed-reads.js';
import { describeLimits } from './limits.js';
import { describeReads } from './reads.js';
import { describeStreamLifecycle, describeTwoWay } from './stream-lifecycle.js';
import { describeFlow } from './flow.js';
import { describeServer } from './server.js';
import { describeTwoWayWrites, describeWrites } from './writes.js';

export type {
  StreamTransportHarness,
  StreamPairHarness,
  StreamPair,
  PairOptions,
  ConnectedPair,
  ConnectedPairOptions,
} from './harness.js';
export { connectPair, pairsOf, clientPairsOf, fifoPairHarness, countSearchedBytes, openFifo, until, sha256 } from './harness.js';

/**
 * The stream-transport compliance suite: every stream transport with
 * servers runs it against itself over real OS handles
 * (`describeStreamTransport(harness)` inside a vitest file). It covers echo,
 * delimiters split at every offset, EOF with a partial record, half-close,
 * close during a pending read, write before connect, the backpressure bound,
 * `writableLength` while the peer does not read, write coalescing (the
 * small writes of a turn held and sent at its end, in order, `flush()`,
 * write after close, a socket error failing held writes), every read's limit at
 * `limit - 1`, `limit` and `limit + 1` bytes across chunks,
 * abort leaving the buffer intact, concurrent reads in call order, a long
 * record in linear time, `records()` batches, `readInto`, `readable()`, and server close
 * closing connections; then the reads again with the client reading, and
 * reads from reused memory (`onread`) in both directions.
 */
export function describeStreamTransport<A>(harness: StreamTransportHarness<A>): void {
  describe(`${harness.name}: stream transport compliance`, () => {
    describeStreamTopics(pairsOf(harness));
    describeBorrowedReads(pairsOf(harness));
    describeServer(harness);
  });
  // A client reads through memory it reuses (Node's `onread`): every read
  // topic again in that direction.
  describe(`${harness.name}: client reads`, () => {
    const clientPairs = clientPairsOf(harness);
    describeReads(clientPairs);
    describeLimits(clientPairs);
    describeFlow(clientPairs);
    describeBorrowedReads(clientPairs);
  });
}

/**
 * The same suite for a transport without servers (adopted descriptors,
 * terminals): every topic that needs only a connected pair, and the two-way
 * ones when the channel is two-way.
 */
export function describeStreamPair(harness: StreamPairHarness): void {
  describe(`${harness.name}: stream compliance`, () => describeStreamTopics(harness));
}

function describeStreamTopics(harness: StreamPairHarness): void {
  describeReads(harness);
  describeLimits(harness);
  describeStreamLifecycle(harness);
  describeFlow(harness);
  describeWrites(harness);
  // A one-way channel (a pipe) cannot answer: a scope of its own, not a skip.
  if (harness.twoWay) {
    describeTwoWay(harness);
    describeTwoWayWrites(harness);
  }
}
