/**
 * Runs tasks one at a time, in the order they were queued: a task starts
 * once every task queued before it has settled — at once, within `run`, when
 * none is under way — and a failed task does not stop the next one. The
 * daemon's server changes go through one, so two of them (two reloads, a
 * resume and a remove of one server) never interleave at their awaits,
 * while a change made alone takes effect as synchronously as it did without
 * the queue.
 *
 * Cost: one promise per task; nothing is kept once the queue is idle.
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  /** Tasks queued and not yet settled. */
  #pending = 0;

  /** Runs `task` after the tasks queued before it; settles as `task` does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#pending === 0 ? startNow(task) : this.#tail.then(task);
    this.#pending += 1;
    this.#tail = result.then(this.#settled, this.#settled);
    return result;
  }

  /** Resolves once every task queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.#tail;
  }

  readonly #settled = (): void => {
    this.#pending -= 1;
  };
}

/** `task()`, with a synchronous throw turned into a rejection. */
function startNow<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}
