import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncompleteReadError } from '../src/index.js';
import { MemoryStream } from './memory-stream.js';

type Op =
  | { kind: 'bytes'; n: number; partial: boolean }
  | { kind: 'until'; delimiter: string }
  | { kind: 'regex'; source: string };

type Outcome = { value: string } | { incomplete: string };

/** The reference: reads over the whole input at once, then end of stream. */
function model(input: string, ops: Op[]): Outcome[] {
  let rest = input;
  const take = (n: number): string => {
    const head = rest.slice(0, n);
    rest = rest.slice(n);
    return head;
  };
  return ops.map((op): Outcome => {
    if (op.kind === 'bytes') return { value: take(op.n) };
    const match = op.kind === 'until' ? indexEnd(rest, op.delimiter) : regexEnd(rest, op.source);
    if (match >= 0) return { value: take(match) };
    return rest.length === 0 ? { value: '' } : { incomplete: take(rest.length) };
  });
}

function indexEnd(text: string, delimiter: string): number {
  const at = text.indexOf(delimiter);
  return at < 0 ? -1 : at + delimiter.length;
}

function regexEnd(text: string, source: string): number {
  const match = new RegExp(source).exec(text);
  return match === null ? -1 : match.index + match[0].length;
}

function run(stream: MemoryStream, op: Op): Promise<Outcome> {
  const read =
    op.kind === 'bytes'
      ? stream.readBytes(op.n, { partial: false })
      : op.kind === 'until'
        ? stream.readUntil(op.delimiter)
        : stream.readUntilRegex(new RegExp(op.source));
  return read.then(
    (value) => ({ value: value.toString('latin1') }),
    (error: unknown) => {
      if (error instanceof IncompleteReadError) return { incomplete: error.partial.toString('latin1') };
      throw error;
    },
  );
}

const alphabet = fc.constantFrom('a', 'b', '\n', '\r');
const input = fc.array(alphabet, { maxLength: 300 }).map((chars) => chars.join(''));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), n: fc.integer({ min: 0, max: 40 }), partial: fc.constant(false) }),
  fc.record({ kind: fc.constant('until' as const), delimiter: fc.constantFrom('\n', 'ab', '\r\n', 'a\nb', 'bb\r\n', 'aaaa') }),
  // Patterns whose first match cannot grow with later bytes (`a+` could:
  // a stream resolves it as soon as it matches what has arrived).
  fc.record({ kind: fc.constant('regex' as const), source: fc.constantFrom('\\n', 'b+\\r', 'a{2}b', '\\r\\n\\r\\n') }),
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
  it('every sequence of readBytes / readUntil / readUntilRegex returns what the model returns, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 40 }), fc.array(op, { maxLength: 25 }), fc.nat(), async (text, cuts, ops, early) => {
        const stream = new MemoryStream();
        // Some reads wait before any byte arrives (queued), the rest are
        // issued once everything is buffered (served at once).
        const waiting = ops.length === 0 ? 0 : early % (ops.length + 1);
        const outcomes = ops.slice(0, waiting).map((o) => run(stream, o));
        for (const chunk of chunksOf(text, cuts)) {
          stream.feed(Buffer.from(chunk, 'latin1'));
          await Promise.resolve();
        }
        stream.end();
        const first = await Promise.all(outcomes);
        const rest: Outcome[] = [];
        for (const o of ops.slice(waiting)) rest.push(await run(stream, o));
        const remaining = (await stream.readUntilClose()).toString('latin1');
        const expected = model(text, ops);
        expect([...first, ...rest]).toEqual(expected);
        // Nothing lost, nothing duplicated.
        const consumed = expected.map((o) => ('value' in o ? o.value : o.incomplete)).join('');
        expect(consumed + remaining).toBe(text);
      }),
      { numRuns: 500 },
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
