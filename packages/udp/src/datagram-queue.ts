import type { Datagram } from './datagram.js';

/**
 * How many datagrams may wait for a `receive()` (1024) before new arrivals are
 * dropped: about a second of a busy DNS server's queries, and a bound a
 * burst cannot grow past.
 */
export const DEFAULT_MAX_QUEUED_DATAGRAMS = 1024;

/**
 * How many payload bytes may wait for a `receive()` (4 MiB) before new
 * arrivals are dropped: 1024 full-MTU datagrams fit, 64 maximum-size ones do.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** The ring starts this small (a power of two) and doubles up to the bound. */
const INITIAL_CAPACITY = 16;

/** Bounds of a {@link DatagramQueue}. */
export interface DatagramQueueOptions {
  /** Most datagrams held at once (integer >= 0, default {@link DEFAULT_MAX_QUEUED_DATAGRAMS}). */
  maxDatagrams?: number;
  /** Most payload bytes held at once (integer >= 0, default {@link DEFAULT_MAX_QUEUED_BYTES}). */
  maxBytes?: number;
}

/**
 * The datagrams that arrived while nobody was receiving, oldest first, held
 * within two bounds: a count and a byte total. A datagram that would cross
 * either bound is dropped on arrival (tail drop, as the kernel's own socket
 * buffer does) and counted, so a sender faster than its reader costs at most
 * the bounds in memory, never more.
 *
 * Cost: `push` and `shift` are O(1), `take` O(datagrams taken) (a ring that doubles while it grows up to
 * the bound, never shrinks); a dropped datagram allocates nothing. The bound
 * itself costs a reader that keeps up nothing: a `for await` loop takes each
 * datagram as it arrives (each read callback ends with a microtask
 * checkpoint), so the queue holds a few at most and flood benchmarks measure
 * the same with and without it (docs/benchmarks.md, UDP); it only caps the
 * memory a reader that falls behind lets pile up.
 */
export class DatagramQueue {
  readonly maxDatagrams: number;
  readonly maxBytes: number;
  #ring: (Datagram | undefined)[] = new Array<Datagram | undefined>(INITIAL_CAPACITY);
  #head = 0;
  #length = 0;
  #bytes = 0;
  #dropped = 0;
  #droppedBytes = 0;
  #peak = 0;

  /** Throws `TypeError` for a bound that is not a number, `RangeError` for a negative or fractional one. */
  constructor(options: DatagramQueueOptions = {}) {
    this.maxDatagrams = checkBound('maxDatagrams', options.maxDatagrams, DEFAULT_MAX_QUEUED_DATAGRAMS);
    this.maxBytes = checkBound('maxBytes', options.maxBytes, DEFAULT_MAX_QUEUED_BYTES);
  }

  /** Datagrams waiting now. */
  get length(): number {
    return this.#length;
  }

  /** Payload bytes waiting now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Datagrams dropped because a bound was reached, since creation. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Payload bytes of the dropped datagrams. */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  /** The most datagrams that ever waited at once (never above `maxDatagrams`). */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Appends a datagram, or drops and counts it when it would cross a bound.
   * Returns whether it was kept.
   */
  push(data: Buffer, from: Datagram[1]): boolean {
    const size = data.length;
    if (this.#length >= this.maxDatagrams || this.#bytes + size > this.maxBytes) {
      this.#dropped++;
      this.#droppedBytes += size;
      return false;
    }
    if (this.#length === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#length) & (this.#ring.length - 1)] = [data, from];
    this.#bytes += size;
    if (++this.#length > this.#peak) this.#peak = this.#length;
    return true;
  }

  /** Takes the oldest datagram, or `undefined` when none waits. */
  shift(): Datagram | undefined {
    if (this.#length === 0) return undefined;
    const ring = this.#ring;
    const datagram = ring[this.#head] as Datagram;
    ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & (ring.length - 1);
    this.#length--;
    this.#bytes -= datagram[0].length;
    return datagram;
  }

  /** Takes the oldest datagrams, at most `max`, oldest first (an empty array when none waits). */
  take(max: number): Datagram[] {
    const count = Math.min(max, this.#length);
    const taken = new Array<Datagram>(count);
    for (let i = 0; i < count; i++) taken[i] = this.shift() as Datagram;
    return taken;
  }

  /** Discards every waiting datagram (not counted as dropped: nobody will receive again). */
  clear(): void {
    this.#ring = new Array<Datagram | undefined>(INITIAL_CAPACITY);
    this.#head = 0;
    this.#length = 0;
    this.#bytes = 0;
  }

  /** Doubles the ring, unwrapping it so the oldest datagram sits at index 0. */
  #grow(): void {
    const ring = this.#ring;
    const grown = new Array<Datagram | undefined>(ring.length * 2);
    for (let i = 0; i < this.#length; i++) grown[i] = ring[(this.#head + i) & (ring.length - 1)];
    this.#ring = grown;
    this.#head = 0;
  }
}

function checkBound(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Cannot use ${name} ${String(value)}: expected a number`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`Cannot use ${name} ${value}: a queue bound is an integer >= 0`);
  }
  return value;
}
