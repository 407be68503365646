import { ReadBuffer } from './read-buffer.js';
import { ReadQueue } from './read-queue.js';
import {
  BULK_READ,
  BytesRequest,
  ChunkRequest,
  CloseRequest,
  IntoRequest,
  PENDING,
  ReadableRequest,
  RecordsRequest,
  RegexRequest,
  UntilRequest,
  type QueuedRead,
  type ReadContext,
  type ReadRequest,
  type ReadTarget,
} from './read-request.js';
import { StreamErrorFactory, type StreamError, type StreamErrorClass } from './errors.js';
import { delimiterBytes, type Delimiter } from './delimiter.js';
import { byteCountLimit, positiveLimit } from './limit-option.js';

/** Unread bytes above which the transport is paused (1 MiB). */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** Most bytes one read may need buffered (64 MiB). */
export const DEFAULT_MAX_BUFFER_SIZE = 64 * 1024 * 1024;
/**
 * Most bytes of small writes held to be sent together (16 KiB): one TLS
 * record's worth, so a turn's replies go out as one record, and a bound on
 * what a write may copy.
 */
export const DEFAULT_COALESCE_BYTES = 16 * 1024;

/**
 * Room the first small write of a turn gets (1 KiB): what a turn of
 * pipelined replies usually needs, and small enough that Node serves it from
 * its shared 8 KiB pool instead of allocating memory of its own.
 */
const FIRST_COALESCE_BYTES = 1024;

/**
 * Full reads from the OS one stream makes in a row before it lets the event
 * loop serve others (8: 512 KiB of 64 KiB socket reads). libuv reads a ready
 * socket up to 32 times in a row (2 MiB) before it looks at any other handle.
 */
export const DEFAULT_READ_BUDGET = 8;

/**
 * Most room kept after borrowed bytes for the next exact `readBytes` (64 KiB,
 * one socket read): a protocol that once read a large body does not pay
 * for large copies of every later chunk.
 */
const MAX_RESERVE_HINT = 64 * 1024;

/** Limits of one stream. */
export interface BaseStreamOptions {
  /**
   * Unread bytes above which the transport is paused until reads drain them
   * (default 1 MiB). A pending read keeps it reading past this, up to the
   * read's own limit.
   */
  highWaterMark?: number;
  /**
   * Most bytes a single read may need buffered to complete (default 64 MiB);
   * a read that needs more rejects with `LimitExceededError`.
   */
  maxBufferSize?: number;
  /**
   * Most bytes of small writes held to be sent together (default 16 KiB).
   * A write smaller than this is copied and sent with the others of the
   * same turn of the event loop, at its end (`process.nextTick`), or as soon
   * as the held bytes would exceed this — unless it is the turn's first and
   * nothing is unread, which goes at once; a larger write is handed to the
   * transport at once, after those held. 0: every write is handed over at
   * once, as it comes (one system call each on a socket).
   */
  coalesceBytes?: number;
  /** The class errors are raised as (`TCPError`, …); default `StreamError`. */
  errorClass?: StreamErrorClass;
  /**
   * Full reads from the OS (each filled the memory it was given, so more
   * bytes are waiting) the stream takes in a row before it yields the event
   * loop: it stops reading and goes on at `setImmediate`, after every other
   * handle ready in this turn had its go (unless `highWaterMark` paused it
   * meanwhile). Bounds how long one busy stream holds the process: a bulk
   * transfer cannot delay a small request on another stream by more than
   * this many reads. Default 8 (512 KiB of 64 KiB socket reads);
   * `Infinity` never yields (libuv's own bound stays: 32 reads). Cost: one
   * `setImmediate` and a stop and start of the handle's reading per budget
   * spent.
   */
  readBudget?: number;
}

/** Options of every read. */
export interface ReadOptions {
  /** Cancels the read: it rejects with `signal.reason` and consumes nothing. */
  signal?: AbortSignal;
}

/** `readBytes` / `readInto` options. */
export interface ReadBytesOptions extends ReadOptions {
  /** Resolve as soon as any bytes are there instead of waiting for all. */
  partial?: boolean;
}

/** Options of delimited reads. */
export interface LimitedReadOptions extends ReadOptions {
  /** Most bytes the record may have, delimiter included (default: the stream's `maxBufferSize`). */
  maxBytes?: number;
}

/** Data a stream accepts: strings are written as UTF-8. */
export type WriteData = string | Uint8Array;

/**
 * A buffered byte stream with pull-style reads, the core of every evergreen
 * transport (Tornado's IOStream, asyncio's StreamReader/Writer in one).
 *
 * Reads are queued and served in call order. A read completes from bytes
 * already buffered without waiting for the transport; an aborted read
 * consumes nothing. Unread bytes above `highWaterMark` pause the transport
 * (backpressure reaches the peer); no read may need more than
 * `maxBufferSize` bytes buffered.
 *
 * Subclasses connect it to an OS handle through the `_`-prefixed hooks: they
 * feed it with `_pushData` / `_pushEnd` / `_pushError` and implement
 * `_writeChunk`, `_writableLength`, `_flushWrites`, `_endWrites`,
 * `_destroy`, `_pauseReading` and `_resumeReading` (and `_abort`, when the
 * transport can tell its peer of an abort). Users never call those.
 */
export abstract class BaseStream implements AsyncIterable<Buffer>, AsyncDisposable {
  readonly #buffer = new ReadBuffer();
  readonly #queue: ReadQueue;
  readonly #ctx: ReadContext;
  readonly #highWaterMark: number;
  #paused = false;
  readonly #readBudget: number;
  /** Full reads in a row since the stream last yielded or drained the transport. */
  #fullReads = 0;
  /** Reading stopped by the read budget until `setImmediate` (see `_countRead`). */
  #yielding = false;
  #connected = false;
  /** Writes made before connect (allocated only then). */
  #pendingWrites: WriteData[] | undefined;
  /** The bytes of `#pendingWrites`. */
  #pendingBytes = 0;
  /** `flush()`/`shutdown()` calls waiting for connect (allocated only then). */
  #connectWaiters: { resolve: () => void; reject: (reason: unknown) => void }[] | undefined;
  #shutdown: Promise<void> | undefined;
  #writeEnded = false;
  #closedByCall = false;
  /**
   * The transport error that ended the stream. The read side's own
   * (`#ctx.failure`) is the same error, unless the peer's FIN came first:
   * then every byte it sent is here, and the error ends writing only.
   */
  #failure: StreamError | undefined;
  /**
   * What the next read is expected to be while none waits: the last one
   * again. `#expectedSize`: the bytes of the last exact bulk `readBytes` or
   * whole bulk `readInto` (0 for any other), for which the OS reads into
   * room of that size and borrowed bytes are copied there;
   * `#expectCopyOut`: the last read was a `readInto` — or none was made
   * yet: bytes that come before the first read (a forward's client writing
   * while its upstream connects) go into shared memory and are copied, so
   * the OS's next read gets no memory of the stream's own, which an idle
   * stream would hold for as long as nothing more comes.
   */
  #expectedSize = 0;
  #expectCopyOut = true;
  readonly #coalesceBytes: number;
  /**
   * Small writes of this turn, copied (allocated per turn, then given to the
   * transport), and how many bytes of it are used; `#sendScheduled`: a
   * `nextTick` will send them.
   */
  #coalesced: Buffer | undefined;
  #coalescedLength = 0;
  #sendScheduled = false;
  /**
   * A small write went to the transport at once, uncopied, since bytes last
   * arrived or held writes were last sent: it was the first of its turn,
   * made with no unread bytes (a reply to a lone request: the caller is
   * about to await a read, so nothing would join it). The writes after it
   * are held as usual; bytes arriving start a new turn.
   */
  #sentAtOnce = false;

  /** Builds this stream's errors, as instances of its transport's class. */
  protected readonly _errors: StreamErrorFactory;

  constructor(options: BaseStreamOptions = {}) {
    const maxBufferSize = positiveLimit(options.maxBufferSize, DEFAULT_MAX_BUFFER_SIZE, 'maxBufferSize');
    // Unread bytes never pile up past what one read may need: the memory
    // bound (limit plus one chunk) holds whatever the two options say.
    this.#highWaterMark = Math.min(positiveLimit(options.highWaterMark, DEFAULT_HIGH_WATER_MARK, 'highWaterMark'), maxBufferSize);
    this.#coalesceBytes = byteCountLimit(options.coalesceBytes, DEFAULT_COALESCE_BYTES, 'coalesceBytes');
    this.#readBudget = positiveLimit(options.readBudget, DEFAULT_READ_BUDGET, 'readBudget');
    this._errors = StreamErrorFactory.for(options.errorClass);
    // The queue is its reads' context too (one object, not two, per stream).
    this.#ctx = this.#queue = new ReadQueue(this.#buffer, maxBufferSize, this._errors);
  }

  /**
   * True once `close()` ran, a transport error ended the stream, or both
   * directions have ended. Writes then throw `StreamClosedError`; reads reject
   * with it after `close()`, and otherwise still drain what is buffered and
   * then report end of stream.
   */
  get closed(): boolean {
    return this.#closedByCall || this.#failure !== undefined || (this.#ctx.ended && this.#writeEnded);
  }

  /**
   * The transport error that ended the stream (`ECONNRESET`: the peer
   * aborted; `EPIPE`, …; with `errno` and `code`), or undefined when none
   * did: `close()`, `reset()` and a clean end are not failures. Lets the
   * owner of a connection whose handler failed tell a peer that went away
   * from a fault of its own.
   */
  get failure(): StreamError | undefined {
    return this.#failure;
  }

  /** Unread bytes currently buffered (with those a waiting `readInto` already holds in its target). */
  get readableLength(): number {
    return this.#buffer.length + this.#queue.held;
  }

  /**
   * Bytes written and not yet handed to the OS: those buffered before
   * connect, the small writes of this turn held to be sent at its end, and
   * those the transport queued because the OS took no more (a peer that
   * reads slower than this stream writes). Bytes already in the
   * kernel's socket buffer are not counted; a write the OS took part of
   * counts in full until the rest is taken (Node's count), so this is at
   * most one write above the exact figure. It grows while the peer does not
   * read and is 0 again once `flush()` resolves; 0 once the stream is closed
   * or failed (unsent bytes are dropped then). For slow-consumer policies:
   * stop producing, or drop a client, past a bound. Costs a field read.
   */
  get writableLength(): number {
    if (this.#closedByCall || this.#failure !== undefined) return 0;
    return this.#connected ? this._writableLength() + this.#coalescedLength : this.#pendingBytes;
  }

  // ── Reads ────────────────────────────────────────────────────────────────

  /**
   * Resolves exactly `n` bytes; at end of stream what is left (fewer, an
   * empty Buffer when nothing is). With `partial`, resolves as soon as any
   * bytes are there: at most `n`, and at most what one received chunk holds,
   * so a partial read never copies (the bulk-transfer form). Zero-copy when
   * the bytes lie in one received chunk, one copy when they span chunks; a
   * socket read through shared memory receives an exact read of 16 KiB or
   * more straight into its result.
   * Rejects `LimitExceededError` when `n` exceeds `maxBufferSize` (without
   * `partial`), however many bytes are buffered.
   */
  readBytes(n: number, options?: ReadBytesOptions): Promise<Buffer> {
    if (!Number.isInteger(n) || n < 0) return Promise.reject(byteCountError(n));
    // Refused whatever is buffered (one chunk may take the buffer past the
    // limit): the outcome never depends on when the bytes arrived.
    const max = this.#ctx.maxBufferSize;
    if (options?.partial !== true && n > max) return Promise.reject(this._errors.limit(max, `read ${n} bytes`));
    const buffer = this.#buffer;
    this.#expect(options?.partial === true ? 0 : n, false);
    if (options?.partial !== true && buffer.length >= n && this.#canReadAtOnce(options)) {
      return Promise.resolve(this.#consumed(buffer.take(n)));
    }
    return this.#read(new BytesRequest(n, options?.partial === true), options);
  }

  /**
   * Resolves the bytes up to and including `delimiter`, found even when split
   * across chunks. Each byte is scanned once, however the record arrives.
   * End of stream: an empty Buffer when nothing was buffered, else
   * `IncompleteReadError` with the bytes in `partial`. No delimiter within
   * `maxBytes`: `LimitExceededError`, the bytes stay buffered.
   */
  readUntil(delimiter: Delimiter, options?: LimitedReadOptions): Promise<Buffer> {
    let bytes: Uint8Array;
    let maxBytes: number;
    try {
      bytes = delimiterBytes(delimiter);
      maxBytes = options === undefined ? Infinity : maxBytesOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#expectCopyOut = false;
    // The hot path of line protocols: a record already buffered is handed
    // out at once, with no request object.
    if (this.#canReadAtOnce(options)) {
      const record = this.#buffer.takeThrough(bytes, Math.min(maxBytes, this.#ctx.maxBufferSize));
      if (record !== undefined) return Promise.resolve(this.#consumed(record));
    }
    return this.#read(new UntilRequest(bytes, maxBytes), options);
  }

  /**
   * Like `readUntil`, up to the end of the first match of `regex`, run over
   * the buffered bytes as latin1 (one char per byte, so indexes are byte
   * offsets). The match is the first one in the bytes arrived so far: a
   * pattern whose match could grow with more bytes (`a+`) resolves as soon
   * as it matches. Cost: the regex reruns over the buffered bytes (at most
   * `maxBytes`) each time a chunk arrives.
   */
  readUntilRegex(regex: RegExp, options?: LimitedReadOptions): Promise<Buffer> {
    if (!(regex instanceof RegExp)) return Promise.reject(new TypeError('Cannot match: expected a RegExp'));
    return this.#readLimited((maxBytes) => new RegexRequest(regex, maxBytes), options);
  }

  /** Everything until end of stream; `LimitExceededError` past `maxBytes`. */
  readUntilClose(options?: LimitedReadOptions): Promise<Buffer> {
    return this.#readLimited((maxBytes) => new CloseRequest(maxBytes), options);
  }

  /**
   * Fills `target` (all of it, or with `partial` as soon as any bytes are
   * there) and resolves how many bytes were written; 0 means end of stream.
   * Copies once, allocates nothing.
   *
   * A partial read may take, instead of the target, a function that returns
   * it: called once, only when bytes are there to copy (never for a read
   * that ends, fails or is aborted first), so a read waiting on an idle
   * stream holds no memory — a relay takes a buffer from a pool only when
   * bytes come. The read rejects with `TypeError` when the function returns
   * no `Uint8Array`, `RangeError` when it returns an empty one, and with what
   * it throws. A whole read calls it at once.
   */
  readInto(target: ReadTarget, options?: ReadBytesOptions): Promise<number> {
    const partial = options?.partial === true;
    if (typeof target === 'function' && !partial) {
      try {
        target = target();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (typeof target !== 'function' && !(target instanceof Uint8Array)) return Promise.reject(new TypeError('Cannot read into the target: expected a Uint8Array'));
    this.#expect(partial || typeof target === 'function' ? 0 : target.length, true);
    return this.#read(new IntoRequest(target, partial), options);
  }

  /**
   * Resolves once a read would not wait: bytes are buffered, the peer ended
   * its side, or a transport error is there to report (the read after it
   * then gets the bytes, the end or the error). Consumes nothing and
   * reserves no memory: a relay or proxy waits on an idle connection with
   * it and takes a buffer only once bytes are there (tokio's
   * `readable()`). Served in call order with the other reads, so it waits
   * behind those called before it.
   * Rejects with `StreamClosedError` after `close()` and with
   * `signal.reason` when aborted (leaving the stream as it was).
   * Cost: one pending request while it waits; none when a read would not
   * wait already.
   */
  readable(options?: ReadOptions): Promise<void> {
    return this.#read(new ReadableRequest(), options);
  }

  /** Records what the read just made says of the next (see `#expectedSize`). */
  #expect(size: number, copyOut: boolean): void {
    this.#expectedSize = size < BULK_READ ? 0 : Math.min(size, MAX_RESERVE_HINT);
    this.#expectCopyOut = copyOut;
  }

  /**
   * The batch form of `readUntil`: each step yields every complete record
   * already buffered (at least one), so a line protocol pays one await per
   * batch instead of one per record. Same end-of-stream, limit and abort
   * rules as `readUntil`.
   */
  async *records(delimiter: Delimiter, options?: LimitedReadOptions): AsyncGenerator<Buffer[], void, undefined> {
    const bytes = delimiterBytes(delimiter);
    const maxBytes = maxBytesOf(options);
    for (;;) {
      this.#expectCopyOut = false;
      const batch = await this.#read(new RecordsRequest(bytes, maxBytes), options);
      if (batch.length === 0) return;
      yield batch;
    }
  }

  /** Yields chunks as they arrived (zero-copy) until end of stream. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      this.#expectCopyOut = false;
      const chunk = await this.#read(new ChunkRequest(), undefined);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  /** True when a read may complete synchronously: nothing queued before it. */
  #canReadAtOnce(options: ReadOptions | undefined): boolean {
    return this.#queue.isEmpty && !this.#closedByCall && options?.signal?.aborted !== true;
  }

  /** Bookkeeping after a read consumed bytes outside the queue. */
  #consumed<T>(value: T): T {
    if (this.#paused) this.#updateFlow();
    return value;
  }

  /** `#read` of the request `make(maxBytes)`; a bad `maxBytes` rejects. */
  #readLimited<T>(make: (maxBytes: number) => ReadRequest<T>, options: LimitedReadOptions | undefined): Promise<T> {
    let maxBytes: number;
    try {
      maxBytes = maxBytesOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#expectCopyOut = false;
    return this.#read(make(maxBytes), options);
  }

  #read<T>(request: ReadRequest<T>, options: ReadOptions | undefined): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#closedByCall) return Promise.reject(this._errors.closed('Cannot read'));
    if (this.#queue.isEmpty) {
      let value: T | typeof PENDING;
      try {
        value = request.poll(this.#ctx);
      } catch (error) {
        return Promise.reject(error);
      }
      if (value !== PENDING) return Promise.resolve(this.#consumed(value));
    }
    return new Promise<T>((resolve, reject) => {
      request.attach(resolve, reject, signal, signal === undefined ? undefined : () => this.#cancel(request));
      this.#queue.push(request);
      this.#updateFlow();
    });
  }

  #cancel(request: QueuedRead & { abort(ctx: ReadContext): void }): void {
    if (!this.#queue.remove(request)) return;
    request.abort(this.#ctx);
    // The read behind it may be satisfiable from what is buffered.
    this.#serve();
  }

  #serve(): void {
    this.#queue.serve(this.#ctx);
    this.#updateFlow();
  }

  /**
   * Pauses at `highWaterMark` and resumes below half of it (or as soon as a
   * read waits): the gap keeps a reader that drains one chunk at a time from
   * toggling the transport on every chunk.
   */
  #updateFlow(): void {
    if (this.#ctx.ended || this.#closedByCall) return;
    const buffered = this.#buffer.length;
    if (this.#paused) {
      if (this.#queue.isEmpty && buffered >= this.#highWaterMark / 2) return;
      this.#paused = false;
      // A yield under way resumes reading itself, at its setImmediate.
      if (!this.#yielding) this._resumeReading();
    } else if (this.#queue.isEmpty && buffered >= this.#highWaterMark) {
      this.#paused = true;
      this._pauseReading();
    }
  }

  // ── Writes ───────────────────────────────────────────────────────────────

  /**
   * Queues `data` for sending, in order. Writes made in one turn of the
   * event loop are sent together: a write smaller than `coalesceBytes` is
   * copied and held, and what is held goes to the OS as one chunk at the end
   * of the turn (or as soon as it would exceed `coalesceBytes`, or on
   * `flush()`/`shutdown()`); a larger write is handed to the OS at once,
   * after what is held. So one `write` per reply costs one system call per
   * turn, not per reply. One exception keeps a lone reply as fast as an
   * uncoalesced one: the turn's first small write, made with no unread
   * bytes (no pipelined request left to answer), goes to the OS at once,
   * uncopied; the turn's later writes are held. Bytes arriving start a
   * new turn.
   *
   * Returns true when the stream is keeping up: nothing written in an
   * earlier turn still waits for the OS, and `data` is no longer
   * referenced (copied, or taken by the OS), so the caller may reuse it.
   * False when the OS has not taken everything written so far (a peer
   * reading slower than this stream writes) or the stream is not connected
   * yet: `data` is still queued (do not modify it) and will be sent; await
   * `flush()` before writing much more. Before the stream is connected
   * every write is buffered. Throws `StreamClosedError` after `close()`,
   * `shutdown()` or a transport error; bytes held then are dropped, and
   * `flush()` rejects.
   * Cost: a small write copies its bytes once (a string is encoded then,
   * as it would be on its way out anyway) and allocates per turn, not per
   * write.
   */
  write(data: WriteData): boolean {
    if (this.closed) throw this._errors.closed('Cannot write', this.#failure);
    if (this.#writeEnded) throw this._errors.closed('Cannot write', undefined, 'the write side');
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError('Cannot write: expected a string or a Uint8Array');
    }
    if (!this.#connected) {
      (this.#pendingWrites ??= []).push(data);
      this.#pendingBytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      return false;
    }
    const cap = this.#coalesceBytes;
    // A string of `cap` characters or more has at least `cap` bytes: not scanned.
    const size = typeof data !== 'string' ? data.byteLength : data.length >= cap ? cap : Buffer.byteLength(data);
    if (size >= cap) {
      this.#sendCoalesced();
      return this._writeChunk(data);
    }
    if (size === 0) return this._writableLength() === 0;
    if (!this.#sendScheduled && !this.#sentAtOnce && this.readableLength === 0) {
      this.#sentAtOnce = true;
      return this._writeChunk(data);
    }
    if (this.#coalescedLength + size > cap) this.#sendCoalesced();
    this.#coalesce(data, size);
    return this._writableLength() === 0;
  }

  /** Copies `data` (`size` bytes) after the bytes held this turn, and has them sent at its end. */
  #coalesce(data: WriteData, size: number): void {
    const length = this.#coalescedLength;
    let held = this.#coalesced;
    if (held === undefined || length + size > held.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#coalesceBytes, Math.max(length + size, 2 * length, FIRST_COALESCE_BYTES)));
      if (held !== undefined) held.copy(grown, 0, 0, length);
      this.#coalesced = held = grown;
    }
    if (typeof data === 'string') held.write(data, length);
    else held.set(data, length);
    this.#coalescedLength = length + size;
    if (!this.#sendScheduled) {
      this.#sendScheduled = true;
      // After every microtask of the turn: the awaits of a handler serving
      // pipelined requests from buffered bytes all run before it.
      process.nextTick(BaseStream.#sendAtEndOfTurn, this);
    }
  }

  static #sendAtEndOfTurn(stream: BaseStream): void {
    stream.#sendScheduled = false;
    stream.#sentAtOnce = false;
    stream.#sendCoalesced();
  }

  /** Hands the bytes held this turn to the transport as one chunk (which then owns that memory). */
  #sendCoalesced(): void {
    const length = this.#coalescedLength;
    if (length === 0) return;
    const held = this.#coalesced!;
    this.#coalesced = undefined;
    this.#coalescedLength = 0;
    this._writeChunk(held.subarray(0, length));
  }

  /**
   * Resolves when everything written so far has been handed to the OS.
   * Rejects with `StreamClosedError` once `close()` or a transport error
   * (its `cause`) has ended the stream — bytes left unsent are never
   * reported sent — and with the transport's error (with `errno` and
   * `code`) when the OS refuses the bytes.
   */
  async flush(): Promise<void> {
    if (this.#closedByCall) throw this._errors.closed('Cannot flush');
    // A shutdown under way already sends everything written, then FIN.
    if (this.#shutdown !== undefined) return this.#shutdown;
    if (this.#failure !== undefined) throw this._errors.closed('Cannot flush', this.#failure);
    this.#sendCoalesced();
    await this.#whenConnected();
    try {
      await this._flushWrites();
    } catch (error) {
      throw this.#sendError('Cannot flush', error);
    }
  }

  /**
   * Sends everything written, then closes the write side (FIN). Reading goes
   * on until the peer ends. Idempotent: later calls share the first one's
   * promise. Rejects as `flush()` does.
   */
  shutdown(): Promise<void> {
    if (this.#closedByCall) return Promise.reject(this._errors.closed('Cannot shut down'));
    this.#sendCoalesced();
    this.#writeEnded = true;
    this.#shutdown ??= this.#whenConnected()
      .then(() => this._endWrites())
      .then(
        () => this.#releaseIfDone(),
        (error: unknown) => Promise.reject(this.#sendError('Cannot shut down', error)),
      );
    return this.#shutdown;
  }

  /** What a failed flush or shutdown rejects with: `StreamClosedError` once the stream was closed or failed, else `error`. */
  #sendError(action: string, error: unknown): unknown {
    if (this.#closedByCall) return this._errors.closed(action);
    if (this.#failure !== undefined) return this._errors.closed(action, this.#failure);
    return error;
  }

  /**
   * Closes both directions at once and releases the handle. Unread bytes,
   * and bytes the OS has not taken, are dropped; pending reads reject with
   * `StreamClosedError`. The small writes of this turn, still held, are
   * handed to the OS first, as they would have been had the turn ended:
   * `write(goodbye); close()` sends what a write of an earlier turn would.
   * Idempotent.
   */
  close(): void {
    this.#close(false);
  }

  /**
   * Closes both directions at once, as `close()` does, and tells the peer
   * the stream was aborted rather than ended: a TCP peer gets a reset (RST),
   * so its reads fail with `ECONNRESET` instead of reporting end of stream,
   * and the bytes still in the kernel's send buffer are discarded, not sent.
   * This is what a relay does when one side failed: the other side must not
   * take a cut-short stream for a whole one. A transport with no abort
   * signal (a Unix socket: its peer sees end of stream, or `ECONNRESET`
   * only when it had sent bytes not yet read) closes as `close()` does.
   * Idempotent; does nothing after `close()`. Never throws.
   */
  reset(): void {
    this.#close(true);
  }

  #close(abort: boolean): void {
    if (this.#closedByCall) return;
    this.#closedByCall = true;
    // An error (and its stack) only when someone waits: most closes find no pending read.
    if (!this.#queue.isEmpty || this.#connectWaiters !== undefined) {
      const error = this._errors.closed('Cannot complete the read');
      this.#queue.failAll(error);
      this.#rejectConnectWaiters(error);
    }
    this.#buffer.clear();
    // An abort drops them: the peer is told the stream was cut short.
    if (!abort && this.#failure === undefined) this.#sendCoalesced();
    this.#dropPendingWrites();
    if (abort) this._abort();
    else this._destroy();
  }

  /** `await using stream = …` closes it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /**
   * Internal (transports): marks the stream connected and sends the writes
   * buffered before. Called once the OS handle can take data.
   */
  _setConnected(): void {
    if (this.#connected || this.#closedByCall) return;
    this.#connected = true;
    const pending = this.#pendingWrites;
    const waiters = this.#connectWaiters;
    this.#dropPendingWrites();
    this.#connectWaiters = undefined;
    if (pending !== undefined) for (const data of pending) this._writeChunk(data);
    if (waiters !== undefined) for (const waiter of waiters) waiter.resolve();
  }

  /** Whether `_setConnected()` has run. */
  get connected(): boolean {
    return this.#connected;
  }

  #whenConnected(): Promise<void> {
    if (this.#connected) return Promise.resolve();
    if (this.closed) return Promise.reject(this._errors.closed('Cannot send', this.#failure));
    return new Promise((resolve, reject) => (this.#connectWaiters ??= []).push({ resolve, reject }));
  }

  /** Drops every write not handed to the transport yet: those made before connect, those held this turn. */
  #dropPendingWrites(): void {
    this.#pendingWrites = undefined;
    this.#pendingBytes = 0;
    this.#coalesced = undefined;
    this.#coalescedLength = 0;
  }

  #rejectConnectWaiters(reason: unknown): void {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = undefined;
    if (waiters !== undefined) for (const waiter of waiters) waiter.reject(reason);
  }

  /** Both directions over: the OS handle is no longer needed (buffered bytes stay readable). */
  #releaseIfDone(): void {
    if (this.#ctx.ended && this.#writeEnded && !this.#closedByCall) this._destroy();
  }

  // ── Hooks for transports ─────────────────────────────────────────────────

  /** Transport: the handle cannot write at all (a read-only pipe end): writes throw, `shutdown()` resolves. */
  protected _setWriteEnded(): void {
    this.#writeEnded = true;
    this.#shutdown ??= Promise.resolve();
  }

  /** Transport: bytes arrived. */
  protected _pushData(chunk: Buffer): void {
    if (this.#closedByCall || this.#ctx.ended) return;
    this.#sentAtOnce = false;
    this.#buffer.push(chunk);
    this.#afterPush();
  }

  /**
   * Transport: bytes arrived in memory the transport reuses for its next
   * read (Node's `onread` buffer). Reads waiting at the head take what
   * completes them straight from it, and a waiting `readInto` what it can
   * hold (copied into its target, so each byte is copied once); the rest is
   * copied into the stream's buffer before this returns, so the memory may
   * be overwritten afterwards.
   * Copies go where an exact `readBytes` needs them contiguous (waiting,
   * or the size of the last one), so its result is a view, not a second
   * copy; bytes read into memory `_nextReadMemory` lent are taken as they
   * are.
   */
  protected _pushBorrowed(bytes: Uint8Array): void {
    if (this.#closedByCall || this.#ctx.ended) return;
    this.#sentAtOnce = false;
    if (this.#buffer.isLent(bytes)) {
      // Read into the buffer's own memory (`_nextReadMemory`): no copy.
      this.#buffer.commitLent(bytes.length);
      this.#afterPush();
      return;
    }
    const ctx = this.#ctx;
    const queue = this.#queue;
    let offset = 0;
    if (!queue.isEmpty) {
      offset = queue.serveBorrowed(ctx, bytes, 0);
      if (offset < bytes.length) offset += queue.absorb(ctx, bytes, offset);
    }
    if (offset < bytes.length) {
      this.#buffer.pushCopy(offset === 0 ? bytes : bytes.subarray(offset), this.#wanted());
      this.#afterPush();
    } else if (this.#buffer.length >= this.#highWaterMark) {
      this.#updateFlow();
    }
  }

  /** Serves the waiting reads from what was just buffered, then pauses the transport if too much is. */
  #afterPush(): void {
    if (!this.#queue.isEmpty) this.#queue.serve(this.#ctx);
    if (this.#buffer.length >= this.#highWaterMark) this.#updateFlow();
  }

  /**
   * Transport: the memory the OS reads into next, for a transport that
   * reads through `shared` memory (`_pushBorrowed`). The read waiting, or
   * with none waiting the one expected (the last one again), decides. An
   * exact bulk `readBytes` gets the bytes it still needs read straight into
   * the stream's own buffer (`ReadBuffer.lend`): its result is then a view,
   * never a copy. A `readInto` gets `shared`, warm, cut to what a whole one
   * still needs, so the read ends where it does and nothing is left over to
   * copy. Anything else reads into the stream's own memory while bytes are
   * `flowing` (the last read filled its memory: more are waiting), so they
   * are not copied; and into `shared` once the transport is drained, so an
   * idle stream holds no memory of its own.
   */
  protected _nextReadMemory(shared: Buffer, flowing: boolean): Uint8Array {
    const wanted = this.#wanted();
    const copiesOut = this.#queue.isEmpty ? this.#expectCopyOut : this.#queue.copiesOut;
    if (wanted <= 0) return flowing && !copiesOut ? this.#buffer.lend(shared.length, BULK_READ) : shared;
    const size = Math.min(wanted, shared.length);
    if (!copiesOut) return this.#buffer.lend(size);
    return size === shared.length ? shared : shared.subarray(0, size);
  }

  /** Bytes the head read, or the next one expected, still needs (0: no preference). */
  #wanted(): number {
    return this.#queue.isEmpty ? this.#expectedSize - this.#buffer.length : this.#queue.wants(this.#ctx);
  }

  /**
   * Transport: counts one read from the OS, `full` when it filled the memory
   * it was given (more bytes are likely waiting), and yields the event loop
   * once `readBudget` full reads came in a row: reading is paused
   * (`_pauseReading`) and resumed at `setImmediate`, unless `highWaterMark`
   * paused it meanwhile. A read that was not full (the OS had no more)
   * starts the count again.
   */
  protected _countRead(full: boolean): void {
    if (!full) {
      this.#fullReads = 0;
      return;
    }
    if (++this.#fullReads < this.#readBudget || this.#yielding) return;
    this.#fullReads = 0;
    this.#yielding = true;
    this._pauseReading();
    setImmediate(BaseStream.#endYield, this);
  }

  /** The read budget's `setImmediate`: reading resumes unless `highWaterMark` (or the end) stopped it meanwhile. */
  static #endYield(stream: BaseStream): void {
    stream.#yielding = false;
    if (!stream.#paused && !stream.#ctx.ended && !stream.#closedByCall) stream._resumeReading();
  }

  /** Transport: the peer ended its side (FIN). Writing stays possible. */
  protected _pushEnd(): void {
    if (this.#closedByCall || this.#ctx.ended) return;
    this.#ctx.ended = true;
    this.#queue.serve(this.#ctx);
    if (this.#shutdown !== undefined) void this.#shutdown.then(() => this.#releaseIfDone(), () => {});
  }

  /**
   * Transport: the handle failed (`ECONNRESET`, …). Bytes already buffered
   * stay readable; the read that would wait for more rejects with the error,
   * as an instance of the transport's class carrying `errno`/`code`. After
   * the peer's FIN (every byte it sent is buffered) reads go on reporting
   * end of stream: the error (a write's `EPIPE`, …) ends writing only.
   */
  protected _pushError(cause: unknown, action = 'Connection failed'): void {
    if (this.#closedByCall || this.#failure !== undefined) return;
    const error = this._errors.system(action, cause);
    this.#failure = error;
    this.#rejectConnectWaiters(error);
    this.#dropPendingWrites();
    const ctx = this.#ctx;
    if (ctx.ended) return;
    ctx.failure = error;
    ctx.ended = true;
    this.#queue.serve(ctx);
  }

  /** Hands `data` to the OS handle; true if it was taken at once. */
  protected abstract _writeChunk(data: WriteData): boolean;
  /** Bytes handed to `_writeChunk` that the OS has not taken yet (`writableLength` once connected). */
  protected abstract _writableLength(): number;
  /** Resolves when every chunk handed to `_writeChunk` has reached the OS. */
  protected abstract _flushWrites(): Promise<void>;
  /** Sends what is pending, then closes the write side. */
  protected abstract _endWrites(): Promise<void>;
  /** Releases the handle at once. Called once, or once more after `_endWrites` (must be idempotent). */
  protected abstract _destroy(): void;
  /**
   * Releases the handle at once, telling the peer it was an abort (`reset()`);
   * by default as `_destroy()`, for a transport with no way to say so.
   */
  protected _abort(): void {
    this._destroy();
  }
  /** Stops taking bytes from the OS (the kernel buffer then fills and the peer slows). */
  protected abstract _pauseReading(): void;
  /** Takes bytes from the OS again. */
  protected abstract _resumeReading(): void;
}

function maxBytesOf(options: LimitedReadOptions | undefined): number {
  return positiveLimit(options?.maxBytes, Infinity, 'maxBytes');
}

/** The error of a bad byte count: `TypeError` when it is not a number, else `RangeError`. */
function byteCountError(n: unknown): Error {
  if (typeof n !== 'number') return new TypeError(`Cannot read bytes: the count must be a non-negative integer, not a ${typeof n}`);
  return new RangeError(`Cannot read ${n} bytes: expected a non-negative integer`);
}
