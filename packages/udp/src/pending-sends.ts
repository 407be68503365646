type Reject = (reason: unknown) => void;

/** Catches a rejection nobody may be waiting for. */
const ignore = (): void => {};

/**
 * The sends made and not yet settled, so `close()` can reject them: Node
 * drops the callback of a send that `close()` overtook, and a send still
 * waiting for the endpoint's first bind has no callback yet.
 *
 * A send that `close()` rejects is marked handled first: `void ep.send(…);
 * ep.close()` must not become an unhandled rejection in the caller's
 * process, while a caller awaiting the send still sees the rejection. Any
 * other failure (`EMSGSIZE`, a name that does not resolve) stays an ordinary
 * rejection.
 *
 * Slots in arrays with a free list, not a `Set`: a `Set` that goes from one
 * entry to none and back reallocates its table every time, which at one send
 * in flight is every send.
 *
 * Cost: O(1) `add`/`settle`, no allocation once the arrays have grown to the
 * most sends ever in flight at once.
 */
export class PendingSends {
  #promises: (Promise<void> | undefined)[] = [];
  #rejects: (Reject | undefined)[] = [];
  #free: number[] = [];

  /** Registers a send's promise and rejecter; returns its slot for {@link settle}. */
  add(promise: Promise<void>, reject: Reject): number {
    const slot = this.#free.pop() ?? this.#rejects.length;
    this.#promises[slot] = promise;
    this.#rejects[slot] = reject;
    return slot;
  }

  /**
   * Forgets the send in `slot`, rejecting it with `reason` when one is given.
   * False when it was settled already (`close()` came first): then nothing
   * happens.
   */
  settle(slot: number, reason?: unknown): boolean {
    const reject = this.#rejects[slot];
    if (reject === undefined) return false;
    this.#rejects[slot] = this.#promises[slot] = undefined;
    this.#free.push(slot);
    if (reason !== undefined) reject(reason);
    return true;
  }

  /** Rejects every unsettled send with `reason` (marked handled) and forgets them all. */
  failAll(reason: unknown): void {
    const promises = this.#promises;
    const rejects = this.#rejects;
    this.#promises = [];
    this.#rejects = [];
    this.#free = [];
    for (let slot = 0; slot < rejects.length; slot++) {
      const reject = rejects[slot];
      if (reject === undefined) continue;
      promises[slot]!.catch(ignore);
      reject(reason);
    }
  }
}
