// The hand-written line splitter of the raw baselines (and of the load
// client's reply reading): what a careful `node:net` program does without a
// stream library. One native `indexOf` per line and a zero-copy view of it;
// a partial line is carried over to the next chunk with one copy.

const NEWLINE = 0x0a;

/**
 * Returns a `'data'` listener that calls `onLine(line)` for each complete
 * line (newline included) in the chunks it is given, in order, whatever the
 * chunk boundaries.
 */
export function lineSplitter(onLine) {
  let carry = null;
  return (chunk) => {
    if (carry !== null) {
      chunk = Buffer.concat([carry, chunk]);
      carry = null;
    }
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      onLine(chunk.subarray(start, end + 1));
      start = end + 1;
    }
    if (start < chunk.length) carry = chunk.subarray(start);
  };
}
