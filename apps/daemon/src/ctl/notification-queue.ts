/** A notification from the daemon: `[2, method, params]`. */
export interface RpcNotificationEvent {
  readonly method: string;
  readonly params: unknown[];
}

/** A `dropped` entry the queue adds itself; `count` grows while it is the newest entry. */
interface DroppedMarker {
  readonly method: 'dropped';
  readonly params: [{ count: number }];
}

/**
 * The notifications a client received and its consumer has not taken yet,
 * bounded to `capacity`. When full, newer notifications are dropped and
 * counted in one `{ method: 'dropped', params: [{ count }] }` entry, in the
 * place where they would have been, the same shape the daemon sends when it
 * drops events itself. One consumer at a time.
 * Cost: at most about twice `capacity` entries.
 */
export class NotificationQueue {
  readonly #capacity: number;
  #items: RpcNotificationEvent[] = [];
  #head = 0;
  #lastMarker: DroppedMarker | undefined;
  #waiter: { resolve(item: RpcNotificationEvent | undefined): void; reject(error: unknown): void } | undefined;
  #ended = false;
  #failure: unknown;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Adds a notification, or counts it as dropped when the queue is full. Ignored once ended. */
  push(item: RpcNotificationEvent): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(item);
    } else if (this.#items.length - this.#head < this.#capacity) {
      this.#items.push(item);
      this.#lastMarker = undefined;
    } else if (this.#lastMarker !== undefined && this.#items[this.#items.length - 1] === this.#lastMarker) {
      this.#lastMarker.params[0].count++;
    } else {
      this.#lastMarker = { method: 'dropped', params: [{ count: 1 }] };
      this.#items.push(this.#lastMarker);
    }
  }

  /**
   * Ends the queue: once the entries are taken, `take` resolves `undefined`,
   * or rejects with `failure` when one is given.
   */
  end(failure?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (failure === undefined) waiter.resolve(undefined);
    else waiter.reject(failure);
  }

  /** The oldest entry, waiting for one if there is none; see `end`. */
  take(): Promise<RpcNotificationEvent | undefined> {
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head++]!;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      }
      return Promise.resolve(item);
    }
    if (this.#ended) return this.#failure === undefined ? Promise.resolve(undefined) : Promise.reject(this.#failure);
    if (this.#waiter !== undefined) return Promise.reject(new TypeError('Cannot wait for a notification: another consumer is waiting already'));
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }
}
