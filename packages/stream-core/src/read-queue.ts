import type { QueuedRead, ReadContext } from './read-request.js';

/**
 * The pending reads of one stream, served strictly in call order: only the
 * head is ever polled, so a later read never takes bytes an earlier one is
 * waiting for. Removing an aborted read consumes nothing.
 */
export class ReadQueue {
  #requests: QueuedRead[] = [];

  get length(): number {
    return this.#requests.length;
  }

  push(request: QueuedRead): void {
    this.#requests.push(request);
  }

  /** Takes `request` out of the queue (after an abort); false if it was not there. */
  remove(request: QueuedRead): boolean {
    const index = this.#requests.indexOf(request);
    if (index < 0) return false;
    this.#requests.splice(index, 1);
    return true;
  }

  /** Completes reads from the head while they can complete. */
  serve(ctx: ReadContext): void {
    const requests = this.#requests;
    while (requests.length > 0) {
      if (!requests[0].settle(ctx)) return;
      requests.shift();
    }
  }

  /** Rejects every pending read with `reason` and empties the queue. */
  failAll(reason: unknown): void {
    const requests = this.#requests;
    this.#requests = [];
    for (const request of requests) request.fail(reason);
  }
}
