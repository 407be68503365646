type Reject = (reason: unknown) => void;

/**
 * The sends handed to Node whose callback has not come yet, so `close()` can
 * reject them: Node drops the callback of a send that `close()` overtook.
 *
 * Slots in an array with a free list, not a `Set`: a `Set` that goes from one
 * entry to none and back reallocates its table every time, which at one send
 * in flight is every send.
 *
 * Cost: O(1) `add`/`remove`, no allocation once the array has grown to the
 * most sends ever in flight at once.
 */
export class PendingSends {
  #rejects: (Reject | undefined)[] = [];
  #free: number[] = [];

  /** Registers a send's rejecter; returns its slot for {@link remove}. */
  add(reject: Reject): number {
    const slot = this.#free.pop() ?? this.#rejects.length;
    this.#rejects[slot] = reject;
    return slot;
  }

  /** Forgets the send in `slot` (its callback came). */
  remove(slot: number): void {
    if (this.#rejects[slot] === undefined) return;
    this.#rejects[slot] = undefined;
    this.#free.push(slot);
  }

  /** Rejects every send still in flight with `reason` and forgets them all. */
  failAll(reason: unknown): void {
    const rejects = this.#rejects;
    this.#rejects = [];
    this.#free = [];
    for (const reject of rejects) reject?.(reason);
  }
}
