import type { ReadBuffer } from './read-buffer.js';
import type { StreamError, StreamErrorFactory } from './errors.js';
import type { QueuedRead, ReadContext } from './read-request.js';

/**
 * The pending reads of one stream, served strictly in call order: only the
 * head is ever polled, so a later read never takes bytes an earlier one is
 * waiting for. Removing an aborted read consumes nothing.
 *
 * The queue is also the `ReadContext` its reads are polled against (the
 * stream's buffer, whether it ended, its limits): one object per stream
 * instead of two, since every idle connection holds both.
 *
 * Cost: the usual single pending read is held in a field; an array exists
 * only while more than one read waits (an idle connection is mostly such
 * small allocations).
 */
export class ReadQueue implements ReadContext {
  readonly buffer: ReadBuffer;
  ended = false;
  failure: StreamError | undefined = undefined;
  readonly maxBufferSize: number;
  readonly errors: StreamErrorFactory;
  #head: QueuedRead | undefined;
  #rest: QueuedRead[] | undefined;

  constructor(buffer: ReadBuffer, maxBufferSize: number, errors: StreamErrorFactory) {
    this.buffer = buffer;
    this.maxBufferSize = maxBufferSize;
    this.errors = errors;
  }

  get isEmpty(): boolean {
    return this.#head === undefined;
  }

  push(request: QueuedRead): void {
    if (this.#head === undefined) this.#head = request;
    else (this.#rest ??= []).push(request);
  }

  /** Takes `request` out of the queue (after an abort); false if it was not there. */
  remove(request: QueuedRead): boolean {
    if (this.#head === request) {
      this.#shift();
      return true;
    }
    const index = this.#rest?.indexOf(request) ?? -1;
    if (index < 0) return false;
    this.#rest!.splice(index, 1);
    return true;
  }

  /** Completes reads from the head while they can complete. */
  serve(ctx: ReadContext): void {
    while (this.#head !== undefined && this.#head.settle(ctx)) this.#shift();
  }

  /**
   * Completes reads from the head straight from `bytes` (from `offset`,
   * memory the transport reuses) while they can take them without keeping
   * a view; returns the offset of the first byte none took.
   */
  serveBorrowed(ctx: ReadContext, bytes: Uint8Array, offset: number): number {
    while (this.#head !== undefined && offset < bytes.length) {
      const taken = this.#head.settleBorrowed(ctx, bytes, offset);
      if (taken < 0) break;
      this.#shift();
      offset += taken;
    }
    return offset;
  }

  /** Bytes the head read holds for its caller (see `ReadRequest#held`). */
  get held(): number {
    return this.#head?.held ?? 0;
  }

  /** `absorbBorrowed` of the head read (0 when none waits). */
  absorb(ctx: ReadContext, bytes: Uint8Array, offset: number): number {
    return this.#head?.absorbBorrowed(ctx, bytes, offset) ?? 0;
  }

  /** `copiesOut` of the head read. */
  get copiesOut(): boolean {
    return this.#head?.copiesOut ?? false;
  }

  /** `wants` of the head read (0 when none waits). */
  wants(ctx: ReadContext): number {
    return this.#head?.wants(ctx) ?? 0;
  }

  /** Rejects every pending read with `reason` and empties the queue. */
  failAll(reason: unknown): void {
    const requests = this.#head === undefined ? [] : [this.#head, ...(this.#rest ?? [])];
    this.#head = this.#rest = undefined;
    for (const request of requests) request.fail(reason);
  }

  #shift(): void {
    this.#head = this.#rest?.shift();
    if (this.#rest?.length === 0) this.#rest = undefined;
  }
}
