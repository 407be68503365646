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

  constructor(size: number, maxFree: number) {
    this.#size = size;
    this.#maxFree = maxFree;
  }

  /** A buffer of the pool's size whose content is undefined. Cost: a pop, or an allocation when none is free. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafe(this.#size);
  }

  /** Takes `buffer` back (dropped when `maxFree` are free already). */
  give(buffer: Buffer): void {
    if (this.#free.length < this.#maxFree) this.#free.push(buffer);
  }
}
