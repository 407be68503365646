/**
 * Buffers of one size, reused: `take()` hands out a free one (or a new one
 * when none is free) and `give()` takes one back for the next `take()`,
 * keeping at most `maxFree` so an idle pool holds at most
 * `size * maxFree` bytes.
 *
 * Why: a new 64 KiB Buffer is an ArrayBuffer of its own, outside V8's heap;
 * one per connection, at thousands of connections a second, makes V8 collect
 * for that external memory far more often than the connections themselves
 * need. A given-back buffer must not be referenced any more (no write of it
 * pending), or the next taker overwrites bytes still to be sent.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  readonly #size: number;
  readonly #maxFree: number;
  #inUse = 0;

  constructor(size: number, maxFree: number) {
    this.#size = size;
    this.#maxFree = maxFree;
  }

  /** Buffers taken and not yet given back or discarded. */
  get inUse(): number {
    return this.#inUse;
  }

  /** A buffer of the pool's size whose content is undefined. Cost: a pop, or an allocation when none is free. */
  take(): Buffer {
    this.#inUse += 1;
    return this.#free.pop() ?? Buffer.allocUnsafe(this.#size);
  }

  /** Takes `buffer` back (dropped when `maxFree` are free already); returns undefined, for `buffer = pool.give(buffer)`. */
  give(buffer: Buffer): undefined {
    this.#inUse -= 1;
    if (this.#free.length < this.#maxFree) this.#free.push(buffer);
    return undefined;
  }

  /** Counts a taken buffer as no longer in use without taking it back: one that may still be referenced (a write of it pending) is left to the collector. */
  discard(): void {
    this.#inUse -= 1;
  }
}
