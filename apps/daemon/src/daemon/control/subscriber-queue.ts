import { encodeNotification } from '../../protocol/message-encoder.js';

/** Where a `SubscriberQueue` sends its events. */
export interface SubscriberQueueSink {
  /** Writes bytes to the connection; false when they had to be buffered (the peer is not keeping up). */
  send(bytes: Buffer): boolean;
  /** Resolves once everything sent has reached the OS; rejects when the connection is gone. */
  flush(): Promise<void>;
  /** The subscriber fell a second queue behind: close its connection. */
  stalled(dropped: number): void;
  /** The first overflow of an episode (for the log). */
  overflowed(dropped: number): void;
}

/**
 * The events on their way to one subscriber, bounded to `capacity`.
 *
 * While the connection keeps up, an event is written at once. Once a write
 * is buffered, events wait here until the connection drains. When the
 * queue is full and another event comes, the queued events and that one are
 * dropped and one `[2, 'dropped', [{ count }]]` notification is written in
 * their place, at once (so it comes before anything newer). If the queue
 * fills again before the connection drains, the subscriber is not reading:
 * `stalled` is called to close it.
 *
 * Cost: at most `capacity` encoded events (shared between subscribers) and
 * one pending `flush()`.
 */
export class SubscriberQueue {
  readonly #capacity: number;
  readonly #sink: SubscriberQueueSink;
  #queue: Buffer[] = [];
  /** A write was buffered: events wait until the connection drains. */
  #waiting = false;
  /** A `dropped` notification went out since the connection last drained. */
  #overflowed = false;
  #closed = false;

  constructor(capacity: number, sink: SubscriberQueueSink) {
    this.#capacity = capacity;
    this.#sink = sink;
  }

  /** Queues or sends one encoded event. Does nothing once closed. */
  push(event: Buffer): void {
    if (this.#closed) return;
    if (!this.#waiting) {
      this.#write(event);
    } else if (this.#queue.length < this.#capacity) {
      this.#queue.push(event);
    } else {
      this.#overflow();
    }
  }

  /** Drops every queued event; later pushes are ignored. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
  }

  #overflow(): void {
    const count = this.#queue.length + 1;
    this.#queue = [];
    if (this.#overflowed) {
      this.close();
      this.#sink.stalled(count);
      return;
    }
    this.#overflowed = true;
    this.#sink.overflowed(count);
    this.#sink.send(encodeNotification('dropped', [{ count }]));
  }

  #write(event: Buffer): void {
    if (this.#sink.send(event)) return;
    this.#waiting = true;
    this.#sink.flush().then(
      () => this.#drain(),
      () => this.close(),
    );
  }

  /** The connection drained: send what waited, until a write is buffered again. */
  #drain(): void {
    this.#waiting = false;
    this.#overflowed = false;
    while (!this.#closed && !this.#waiting && this.#queue.length > 0) this.#write(this.#queue.shift()!);
  }
}
