import type { ReadBuffer } from './read-buffer.js';
import type { StreamError, StreamErrorFactory } from './errors.js';

/** What a pending read sees of its stream when it is polled. */
export interface ReadContext {
  readonly buffer: ReadBuffer;
  /** No more bytes will arrive (FIN, or a transport error in `failure`). */
  ended: boolean;
  /** The transport error that ended reading, if one did. */
  failure: StreamError | undefined;
  readonly maxBufferSize: number;
  readonly errors: StreamErrorFactory;
}

/** `poll` returns this while the read needs more bytes. */
export const PENDING: unique symbol = Symbol('pending');
/** What `poll` returns: the read's value, or `PENDING` while it needs more bytes. */
export type Poll<T> = T | typeof PENDING;

const EMPTY = Buffer.alloc(0);

/**
 * Reads of at least this many bytes (16 KiB) are bulk reads: the transport
 * sizes its reads from the OS so they end where such a read needs them to
 * (see `BaseStream._nextReadSize`). Smaller ones (a header) leave it
 * reading as much as it can: a syscall per small read would cost more than
 * the copy of what is left over.
 */
export const BULK_READ = 16 * 1024;

/**
 * One read waiting in a stream's queue: how it is satisfied from the buffer,
 * and the promise its caller awaits.
 *
 * `poll` consumes bytes only when it completes (returns a value, or throws
 * `IncompleteReadError` with the bytes in `partial`); a read that returns
 * `PENDING`, throws a limit error or is aborted leaves the buffer as it was.
 */
export abstract class ReadRequest<T> {
  #resolve: ((value: T) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  /** The caller's abort signal and the listener on it, while attached (one field: most reads have none). */
  #abort: { signal: AbortSignal; onAbort: () => void } | undefined;

  /** Tries to complete from `ctx`; throws the error the read rejects with. */
  abstract poll(ctx: ReadContext): Poll<T>;

  /** Binds the request to its caller's promise and (optional) abort signal, `onAbort` running on abort. */
  attach(resolve: (value: T) => void, reject: (reason: unknown) => void, signal?: AbortSignal, onAbort?: () => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
    if (signal !== undefined && onAbort !== undefined) {
      this.#abort = { signal, onAbort };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /**
   * Polls and settles the caller's promise if the read can complete now:
   * true when it did (resolved or rejected), false while it waits.
   */
  settle(ctx: ReadContext): boolean {
    let value: Poll<T>;
    try {
      value = this.poll(ctx);
    } catch (error) {
      this.fail(error);
      return true;
    }
    if (value === PENDING) return false;
    this.succeed(value);
    return true;
  }

  /**
   * Completes the read straight from `bytes` (from `offset`: memory the
   * transport reuses, see `BaseStream._pushBorrowed`) if those bytes and the
   * buffered ones complete it, copying what it needs: returns how many of
   * `bytes` it took, or -1 (nothing taken, nothing settled) when it cannot or
   * when it would have to keep a view of them. Only `readInto` can.
   */
  settleBorrowed(_ctx: ReadContext, _bytes: Uint8Array, _offset: number): number {
    return -1;
  }

  /**
   * Takes bytes from `bytes` (from `offset`) towards a read they do not
   * complete, copying them where the read delivers them, so they need no
   * copy into the buffer first; returns how many (0: it keeps none). Only
   * `readInto` does; its `abort` gives them back to the buffer.
   */
  absorbBorrowed(_ctx: ReadContext, _bytes: Uint8Array, _offset: number): number {
    return 0;
  }

  /**
   * How many more bytes this read needs, when they are best received
   * together (an exact `readBytes` or a whole `readInto` of at least
   * `BULK_READ` bytes); 0 if it has no such need. Sizes the next read from
   * the OS and the storage copies go into.
   */
  wants(_ctx: ReadContext): number {
    return 0;
  }

  /**
   * Whether the read copies its bytes out into memory of its caller's
   * (`readInto`): they are then best read by the OS into shared memory that
   * is warm, not into new memory of the buffer's own (`ReadBuffer.lend`).
   */
  get copiesOut(): boolean {
    return false;
  }

  /** Bytes this read holds that its caller has not been given yet (taken by `absorbBorrowed`). */
  get held(): number {
    return 0;
  }

  /** Resolves the caller's promise. */
  succeed(value: T): void {
    this.#detach();
    this.#resolve?.(value);
  }

  /** Rejects the caller's promise. */
  fail(reason: unknown): void {
    this.#detach();
    this.#reject?.(reason);
  }

  /** Rejects with the abort signal's reason; bytes the read held go back to the front of `ctx.buffer`. */
  abort(_ctx: ReadContext): void {
    this.fail(this.#abort?.signal.reason);
  }

  #detach(): void {
    const abort = this.#abort;
    if (abort === undefined) return;
    this.#abort = undefined;
    abort.signal.removeEventListener('abort', abort.onAbort);
  }
}

/** A read as its queue sees it, whatever it resolves to. */
export interface QueuedRead {
  settle(ctx: ReadContext): boolean;
  settleBorrowed(ctx: ReadContext, bytes: Uint8Array, offset: number): number;
  absorbBorrowed(ctx: ReadContext, bytes: Uint8Array, offset: number): number;
  wants(ctx: ReadContext): number;
  readonly copiesOut: boolean;
  readonly held: number;
  fail(reason: unknown): void;
}

/** At end of stream: rethrows the transport error that ended it, if any. */
function throwIfFailed(ctx: ReadContext): void {
  if (ctx.failure !== undefined) throw ctx.failure;
}

/**
 * Where `readInto` puts its bytes: the memory itself, or (for a partial
 * read) a function that returns it, called only once bytes are there.
 */
export type ReadTarget = Uint8Array | (() => Uint8Array);

/** `readBytes(n, { partial })`. */
export class BytesRequest extends ReadRequest<Buffer> {
  constructor(readonly n: number, readonly partial: boolean) {
    super();
  }

  poll(ctx: ReadContext): Poll<Buffer> {
    const { buffer } = ctx;
    // Partial: what one received chunk holds, so it is never copied.
    if (this.partial && buffer.length > 0) return buffer.take(Math.min(this.n, buffer.headLength));
    if (buffer.length >= this.n) return buffer.take(this.n);
    if (ctx.ended) {
      if (buffer.length === 0) throwIfFailed(ctx);
      return buffer.take(buffer.length);
    }
    // Past maxBufferSize readBytes refuses before a request is made.
    return PENDING;
  }

  override wants(ctx: ReadContext): number {
    return this.partial || this.n < BULK_READ ? 0 : Math.max(0, this.n - ctx.buffer.length);
  }
}

/**
 * `readInto(target, { partial })`. Bytes from reused memory that do not
 * complete it yet are copied into the target at once (`absorbBorrowed`):
 * the read then holds `#filled` bytes, given back to the buffer on abort.
 * A partial read may be given a function instead of its target
 * (`ReadTarget`): it is called once, when the first bytes are there to copy,
 * so the read holds no memory while it waits.
 */
export class IntoRequest extends ReadRequest<number> {
  /** Bytes already in the target (taken from reused memory while waiting). */
  #filled = 0;
  #target: Uint8Array | undefined;
  readonly #provide: (() => Uint8Array) | undefined;

  /** `target` is a function only for a partial read. */
  constructor(target: ReadTarget, readonly partial: boolean) {
    super();
    if (typeof target === 'function') this.#provide = target;
    else this.#target = target;
  }

  poll(ctx: ReadContext): Poll<number> {
    const { buffer } = ctx;
    if (this.partial ? buffer.length > 0 || this.#target?.length === 0 : buffer.length >= this.#memory().length - this.#filled) return this.#complete(ctx);
    if (ctx.ended) {
      if (buffer.length === 0 && this.#filled === 0) throwIfFailed(ctx);
      return this.#complete(ctx);
    }
    if (!this.partial && this.#memory().length > ctx.maxBufferSize) {
      throw ctx.errors.limit(ctx.maxBufferSize, `read ${this.#memory().length} bytes`);
    }
    return PENDING;
  }

  /** The buffered bytes, then the rest from `bytes`: each byte copied once, into the target. */
  override settleBorrowed(ctx: ReadContext, bytes: Uint8Array, offset: number): number {
    let target: Uint8Array;
    try {
      target = this.#memory();
    } catch (error) {
      // The bytes stay for the reads behind this one.
      this.fail(error);
      return 0;
    }
    const available = bytes.length - offset;
    if (!this.partial && this.#filled + ctx.buffer.length + available < target.length) return -1;
    const n = this.#fill(ctx, bytes, offset);
    this.succeed(this.#filled);
    return n;
  }

  override absorbBorrowed(ctx: ReadContext, bytes: Uint8Array, offset: number): number {
    return this.partial ? 0 : this.#fill(ctx, bytes, offset);
  }

  override get held(): number {
    return this.#filled;
  }

  override get copiesOut(): boolean {
    return true;
  }

  override wants(ctx: ReadContext): number {
    if (this.partial) return 0;
    const { length } = this.#memory();
    return length < BULK_READ ? 0 : Math.max(0, length - this.#filled - ctx.buffer.length);
  }

  override abort(ctx: ReadContext): void {
    if (this.#filled > 0) ctx.buffer.unshift(Buffer.from(this.#memory().subarray(0, this.#filled)));
    this.#filled = 0;
    super.abort(ctx);
  }

  /**
   * The target, from the caller's function the first time it is needed.
   * Throws `TypeError` when the function returns no `Uint8Array`,
   * `RangeError` when it returns an empty one (0 would read as end of stream).
   */
  #memory(): Uint8Array {
    if (this.#target !== undefined) return this.#target;
    const target = this.#provide!();
    if (!(target instanceof Uint8Array)) throw new TypeError('Cannot read into the target: the target function returned no Uint8Array');
    if (target.length === 0) throw new RangeError('Cannot read into the target: the target function returned an empty one');
    return (this.#target = target);
  }

  /** Copies the buffered bytes, then what fits from `bytes`, after `#filled`; returns how many of `bytes`. */
  #fill(ctx: ReadContext, bytes: Uint8Array, offset: number): number {
    const target = this.#memory();
    this.#filled += ctx.buffer.takeInto(this.#filled === 0 ? target : target.subarray(this.#filled));
    const n = Math.min(target.length - this.#filled, bytes.length - offset);
    target.set(offset === 0 && n === bytes.length ? bytes : bytes.subarray(offset, offset + n), this.#filled);
    this.#filled += n;
    return n;
  }

  #complete(ctx: ReadContext): number {
    // At end of stream with nothing left, a target function is never called.
    if (ctx.buffer.length === 0) return this.#filled;
    const target = this.#memory();
    return this.#filled + ctx.buffer.takeInto(this.#filled === 0 ? target : target.subarray(this.#filled));
  }
}

/**
 * `readable()`: waits until a read would not wait — bytes buffered, end of
 * stream, or a transport error to report — and consumes nothing.
 */
export class ReadableRequest extends ReadRequest<void> {
  poll(ctx: ReadContext): Poll<void> {
    return ctx.buffer.length > 0 || ctx.ended ? undefined : PENDING;
  }
}

/** One chunk as it arrived (the async iterator). An empty Buffer means end of stream. */
export class ChunkRequest extends ReadRequest<Buffer> {
  poll(ctx: ReadContext): Poll<Buffer> {
    if (ctx.buffer.length > 0) return ctx.buffer.takeChunk();
    if (!ctx.ended) return PENDING;
    throwIfFailed(ctx);
    return EMPTY;
  }
}

/**
 * `readUntil(delimiter, { maxBytes })`. Remembers how far it has searched, so
 * each byte is scanned once however many chunks the record arrives in.
 */
export class UntilRequest extends ReadRequest<Buffer> {
  /** Position from which no match has been ruled out yet. */
  #scanned = 0;

  constructor(readonly delimiter: Uint8Array, readonly maxBytes: number) {
    super();
  }

  poll(ctx: ReadContext): Poll<Buffer> {
    const { buffer } = ctx;
    const limit = Math.min(this.maxBytes, ctx.maxBufferSize);
    const found = buffer.indexOf(this.delimiter, this.#scanned);
    if (found >= 0) {
      const end = found + this.delimiter.length;
      if (end > limit) throw ctx.errors.limit(limit, 'find the delimiter');
      return buffer.take(end);
    }
    if (buffer.length >= limit) throw ctx.errors.limit(limit, 'find the delimiter');
    if (ctx.ended) return endWithoutDelimiter(ctx, 'find the delimiter');
    this.#scanned = Math.max(0, buffer.length - this.delimiter.length + 1);
    return PENDING;
  }
}

/**
 * `records(delimiter)`: every complete record already buffered, at least one.
 * An empty array means end of stream.
 */
export class RecordsRequest extends ReadRequest<Buffer[]> {
  readonly #first: UntilRequest;

  constructor(readonly delimiter: Uint8Array, readonly maxBytes: number) {
    super();
    this.#first = new UntilRequest(delimiter, maxBytes);
  }

  poll(ctx: ReadContext): Poll<Buffer[]> {
    const first = this.#first.poll(ctx);
    if (first === PENDING) return PENDING;
    if (first.length === 0) return [];
    const records = [first];
    const { buffer } = ctx;
    const limit = Math.min(this.maxBytes, ctx.maxBufferSize);
    for (;;) {
      buffer.takeRecordsInHead(this.delimiter, limit, records);
      // The record straddling into the next chunk, if complete; a missing or
      // over-long record ends the batch and the next poll reports it.
      const next = buffer.takeThrough(this.delimiter, limit);
      if (next === undefined) return records;
      records.push(next);
    }
  }
}

/** `readUntilRegex(regex, { maxBytes })`: the regex runs over the bytes as latin1. */
export class RegexRequest extends ReadRequest<Buffer> {
  readonly #regex: RegExp;

  constructor(regex: RegExp, readonly maxBytes: number) {
    super();
    // A global or sticky regex carries lastIndex between calls; ours must not.
    this.#regex = regex.global || regex.sticky ? new RegExp(regex.source, regex.flags.replace(/[gy]/g, '')) : regex;
  }

  poll(ctx: ReadContext): Poll<Buffer> {
    const { buffer } = ctx;
    const limit = Math.min(this.maxBytes, ctx.maxBufferSize);
    const match = this.#regex.exec(buffer.latin1(limit));
    if (match !== null) return buffer.take(match.index + match[0].length);
    if (buffer.length >= limit) throw ctx.errors.limit(limit, 'match the pattern');
    if (ctx.ended) return endWithoutDelimiter(ctx, 'match the pattern');
    return PENDING;
  }
}

/** `readUntilClose({ maxBytes })`. */
export class CloseRequest extends ReadRequest<Buffer> {
  constructor(readonly maxBytes: number) {
    super();
  }

  poll(ctx: ReadContext): Poll<Buffer> {
    const { buffer } = ctx;
    const limit = Math.min(this.maxBytes, ctx.maxBufferSize);
    if (buffer.length > limit) throw ctx.errors.limit(limit, 'read until the stream ends');
    if (!ctx.ended) return PENDING;
    throwIfFailed(ctx);
    return buffer.take(buffer.length);
  }
}

/**
 * End of stream before a delimiter: nothing buffered is a clean end (empty
 * Buffer); a partial record is an `IncompleteReadError` holding it.
 */
function endWithoutDelimiter(ctx: ReadContext, wanted: string): Buffer {
  throwIfFailed(ctx);
  if (ctx.buffer.length === 0) return EMPTY;
  throw ctx.errors.incomplete(ctx.buffer.take(ctx.buffer.length), wanted);
}
