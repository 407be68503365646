import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncompleteReadError, LimitExceededError } from '../src/index.js';
import { MemoryStream } from './memory-stream.js';

type Op =
  | { kind: 'bytes'; n: number; partial: boolean; abort: boolean }
  | { kind: 'into'; size: number; partial: boolean; abort: boolean }
  | { kind: 'until'; delimiter: string; maxBytes?: number; abort: boolean }
  | { kind: 'regex'; source: string; maxBytes?: number; abort: boolean };

type Outcome = { value: string } | { incomplete: string } | { limit: number } | { aborted: true };

/**
 * The reference for a read that waits for all it needs: its outcome over the
 * rest of the input (all of it buffered, then end of stream), and what is
 * left after it. A read that hits its limit consumes nothing.
 */
function exactRead(rest: string, op: Op): { outcome: Outcome; rest: string } {
  const taking = (n: number, as: 'value' | 'incomplete' = 'value') => ({
    outcome: as === 'value' ? { value: rest.slice(0, n) } : { incomplete: rest.slice(0, n) },
    rest: rest.slice(n),
  });
  if (op.kind === 'bytes') return taking(op.n);
  if (op.kind === 'into') return taking(op.size);
  const limit = op.maxBytes ?? Infinity;
  const end = op.kind === 'until' ? indexEnd(rest, op.delimiter) : regexEnd(rest.slice(0, limit), op.source);
  if (end > limit || (end < 0 && rest.length >= limit)) return { outcome: { limit }, rest };
  if (end >= 0) return taking(end);
  return rest.length === 0 ? taking(0) : taking(rest.length, 'incomplete');
}

/** Whether `op` resolves as soon as any byte is there (its length is the stream's choice). */
function isPartial(op: Op): op is Extract<Op, { partial: boolean }> {
  return (op.kind === 'bytes' || op.kind === 'into') && op.partial;
}

/**
 * Replays what the stream answered against the reference, read by read, and
 * returns what the reference has left. A partial read must return a
 * non-empty prefix of what is left, no longer than asked (empty only at end
 * of stream); an aborted read must consume nothing, and a read whose signal
 * was aborted before it could complete (`mustAbort`) must be aborted.
 */
function replay(text: string, ops: Op[], outcomes: Outcome[], mustAbort: boolean[]): string {
  let rest = text;
  ops.forEach((op, i) => {
    const actual = outcomes[i];
    if ('aborted' in actual) {
      expect(op.abort, `read ${i} was aborted without a signal`).toBe(true);
      return;
    }
    expect(mustAbort[i], `read ${i} completed although aborted first`).toBe(false);
    if (isPartial(op)) {
      expect('value' in actual).toBe(true);
      const got = (actual as { value: string }).value;
      const most = op.kind === 'bytes' ? op.n : op.size;
      expect(got.length).toBeLessThanOrEqual(most);
      expect(got.length === 0).toBe(rest.length === 0);
      expect(rest.startsWith(got)).toBe(true);
      rest = rest.slice(got.length);
      return;
    }
    const expected = exactRead(rest, op);
    expect(actual, `read ${i}: ${JSON.stringify(op)}`).toEqual(expected.outcome);
    rest = expected.rest;
  });
  return rest;
}

function indexEnd(text: string, delimiter: string): number {
  const at = text.indexOf(delimiter);
  return at < 0 ? -1 : at + delimiter.length;
}

function regexEnd(text: string, source: string): number {
  const match = new RegExp(source).exec(text);
  return match === null ? -1 : match.index + match[0].length;
}

/** Issues `op` on the stream and reports how it settled. */
function run(stream: MemoryStream, op: Op, signal?: AbortSignal): Promise<Outcome> {
  const options = { signal, partial: 'partial' in op ? op.partial : undefined, maxBytes: 'maxBytes' in op ? op.maxBytes : undefined };
  const read: Promise<Buffer> =
    op.kind === 'bytes'
      ? stream.readBytes(op.n, options)
      : op.kind === 'into'
        ? intoBuffer(stream, op.size, options)
        : op.kind === 'until'
          ? stream.readUntil(op.delimiter, options)
          : stream.readUntilRegex(new RegExp(op.source), options);
  return read.then(
    (value) => ({ value: value.toString('latin1') }),
    (error: unknown): Outcome => {
      if (signal?.aborted && error === signal.reason) return { aborted: true };
      if (error instanceof IncompleteReadError) return { incomplete: error.partial.toString('latin1') };
      if (error instanceof LimitExceededError) return { limit: error.limit };
      throw error;
    },
  );
}

/** `readInto` a fresh target of `size` bytes, resolved as the bytes it wrote. */
async function intoBuffer(stream: MemoryStream, size: number, options: { signal?: AbortSignal; partial?: boolean }): Promise<Buffer> {
  const target = Buffer.alloc(size);
  const count = await stream.readInto(target, options);
  return target.subarray(0, count);
}

const alphabet = fc.constantFrom('a', 'b', '\n', '\r');
const input = fc.array(alphabet, { maxLength: 300 }).map((chars) => chars.join(''));
const maxBytes = fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined });
const op: fc.Arbitrary<Op> = fc.oneof(
  // readBytes(0) resolves at once even before any byte arrives: nothing to abort.
  fc.record({ kind: fc.constant('bytes' as const), n: fc.integer({ min: 0, max: 40 }), partial: fc.constant(false), abort: fc.boolean() }).map((o) => ({ ...o, abort: o.abort && o.n > 0 })),
  fc.record({ kind: fc.constant('bytes' as const), n: fc.integer({ min: 1, max: 40 }), partial: fc.constant(true), abort: fc.boolean() }),
  fc.record({ kind: fc.constant('into' as const), size: fc.integer({ min: 1, max: 40 }), partial: fc.boolean(), abort: fc.boolean() }),
  fc.record({ kind: fc.constant('until' as const), delimiter: fc.constantFrom('\n', 'ab', '\r\n', 'a\nb', 'bb\r\n', 'aaaa'), maxBytes, abort: fc.boolean() }),
  // Patterns whose first match cannot grow with later bytes (`a+` could:
  // a stream resolves it as soon as it matches what has arrived).
  fc.record({ kind: fc.constant('regex' as const), source: fc.constantFrom('\\n', 'b+\\r', 'a{2}b', '\\r\\n\\r\\n'), maxBytes, abort: fc.boolean() }),
);

/** Random cut points: the input arrives in these chunks. */
function chunksOf(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of [...points, text.length]) {
    if (point > from) chunks.push(text.slice(from, point));
    from = Math.max(from, point);
  }
  return chunks;
}

describe('read buffer against a reference model', () => {
  it('every sequence of exact and partial readBytes, readInto, readUntil and readUntilRegex, with limits and aborts, answers as the model does, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 40 }), fc.array(op, { maxLength: 25 }), fc.nat(), fc.nat(), async (text, cuts, ops, early, abortPoint) => {
        const stream = new MemoryStream();
        const chunks = chunksOf(text, cuts);
        // Some reads wait before any byte arrives (queued), the rest are
        // issued once everything is buffered (served at once). A queued read
        // with `abort` is aborted before the chunk `abortAt` arrives, so it
        // may have completed first — unless that is before any byte; a later
        // one is issued with a signal aborted already.
        const waiting = ops.length === 0 ? 0 : early % (ops.length + 1);
        const abortAt = abortPoint % (chunks.length + 1);
        const controllers = ops.map(() => new AbortController());
        const mustAbort = ops.map((o, i) => o.abort && (i >= waiting || abortAt === 0));
        const queued = ops.slice(0, waiting).map((o, i) => run(stream, o, o.abort ? controllers[i].signal : undefined));
        const abortQueued = () => ops.slice(0, waiting).forEach((o, i) => o.abort && controllers[i].abort(new Error(`abort ${i}`)));
        for (const [index, chunk] of chunks.entries()) {
          if (index === abortAt) abortQueued();
          stream.feed(Buffer.from(chunk, 'latin1'));
          await Promise.resolve();
        }
        if (abortAt === chunks.length) abortQueued();
        stream.end();
        const outcomes = await Promise.all(queued);
        for (const [offset, o] of ops.slice(waiting).entries()) {
          const i = waiting + offset;
          if (o.abort) controllers[i].abort(new Error(`abort ${i}`));
          outcomes.push(await run(stream, o, o.abort ? controllers[i].signal : undefined));
        }
        const remaining = (await stream.readUntilClose()).toString('latin1');
        // Nothing lost, nothing duplicated: what the reads left is what the stream still holds.
        expect(remaining).toBe(replay(text, ops, outcomes, mustAbort));
      }),
      { numRuns: 1000 },
    );
  });

  it('records() yields exactly the records readUntil would, in order, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 40 }), fc.constantFrom('\n', '\r\n', 'ab'), async (text, cuts, delimiter) => {
        const stream = new MemoryStream();
        const collected: string[] = [];
        const done = (async () => {
          for await (const batch of stream.records(delimiter)) collected.push(...batch.map((r) => r.toString('latin1')));
        })().then(
          () => '',
          (error: unknown) => (error instanceof IncompleteReadError ? error.partial.toString('latin1') : Promise.reject(error)),
        );
        for (const chunk of chunksOf(text, cuts)) {
          stream.feed(Buffer.from(chunk, 'latin1'));
          await Promise.resolve();
        }
        stream.end();
        const tail = await done;
        const expected: string[] = [];
        let rest = text;
        for (let end = indexEnd(rest, delimiter); end >= 0; end = indexEnd(rest, delimiter)) {
          expected.push(rest.slice(0, end));
          rest = rest.slice(end);
        }
        expect(collected).toEqual(expected);
        expect(tail).toBe(rest);
      }),
      { numRuns: 300 },
    );
  });
});
