import { StreamClosedError } from '@evergreen/stream-core';
import type { Datagram } from './datagram.js';

/** The result an iteration step resolves with once the endpoint is closed. */
export const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** One waiting receive, batch receive or iteration step. */
interface Waiter {
  /**
   * Takes `datagram`, the next in arrival order; returns whether it takes
   * more (a batch filling up stays first in line until the end of the turn).
   */
  take(datagram: Datagram): boolean;
  /** Fails with `reason` (an iteration step ends instead when it is a closed error, or none). */
  fail(reason: unknown): void;
}

type Resolve<T> = (value: T) => void;
type Reject = (reason: unknown) => void;

/**
 * The `receive()` calls, batch receives and iteration steps waiting for a
 * datagram, served in call order. An aborted receive leaves the line at once
 * and rejects with its signal's reason; since a datagram is only ever handed
 * to a receive still in line, an abort drops nothing.
 *
 * A single receive resolves with the datagram that reaches it. A batch
 * receive is complete once its first datagram reaches it (a later abort does
 * nothing), but resolves only at the end of the event loop's turn
 * (`setImmediate`): Node calls the `'message'` listener once per datagram and
 * runs the microtasks after each call, so a batch resolved at once would
 * hold one datagram; resolved after the poll phase it holds every datagram
 * libuv read in that turn, up to its `maxDatagrams`.
 *
 * Cost: one promise and one small object per waiting receive (per batch for
 * batch receives), and one `setImmediate` per turn in which a batch filled.
 * The promise executor is shared, and the abort listener is the request
 * itself (`handleEvent`), so neither allocates a closure.
 */
export class PendingReceives {
  #waiters: Waiter[] = [];
  /** Batches that took datagrams and resolve at the end of this turn, oldest first. */
  #filled: BatchRequest<unknown>[] = [];
  #endOfTurn: NodeJS.Immediate | undefined;
  #resolve: Resolve<never> | undefined;
  #reject: Reject | undefined;
  readonly #capture = (resolve: Resolve<never>, reject: Reject): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  /** How many receives are waiting (a batch filling up in this turn included). */
  get length(): number {
    return this.#waiters.length;
  }

  /** A promise of the next datagram no earlier receive takes; `signal` cancels it. */
  wait(signal: AbortSignal | undefined): Promise<Datagram> {
    const promise = new Promise<Datagram>(this.#capture);
    this.#waiters.push(new ReceiveRequest(this.#resolve as Resolve<Datagram>, this.#reject as Reject, signal, this));
    return promise;
  }

  /**
   * The same for an iteration step: it resolves `{ value: datagram }`, or
   * {@link DONE} when the endpoint closes (a closed error), without the extra
   * promise a `.then` on `wait` would cost.
   */
  next(owner: object): Promise<IteratorResult<Datagram, undefined>> {
    const promise = new Promise<IteratorResult<Datagram, undefined>>(this.#capture);
    this.#waiters.push(new IterationStep(this.#resolve as Resolve<IteratorResult<Datagram, undefined>>, this.#reject as Reject, owner));
    return promise;
  }

  /** A promise of the next datagrams, at most `max`, that arrive in one turn of the event loop; `signal` cancels it until the first arrives. */
  waitBatch(max: number, signal: AbortSignal | undefined): Promise<Datagram[]> {
    const promise = new Promise<Datagram[]>(this.#capture);
    this.#waiters.push(new BatchRequest(this.#resolve as Resolve<Datagram[]>, this.#reject as Reject, max, signal, this, undefined));
    return promise;
  }

  /** `waitBatch` for an iteration step of `owner`: `{ value: batch }`, or {@link DONE} once the endpoint closes. */
  nextBatch(owner: object, max: number, signal: AbortSignal | undefined): Promise<IteratorResult<Datagram[], undefined>> {
    const promise = new Promise<IteratorResult<Datagram[], undefined>>(this.#capture);
    this.#waiters.push(new BatchRequest(this.#resolve as Resolve<IteratorResult<Datagram[], undefined>>, this.#reject as Reject, max, signal, this, owner));
    return promise;
  }

  /**
   * Ends `owner`'s waiting iteration steps with {@link DONE}: they take no
   * datagram. A batch step that already took some is complete, and resolves
   * with them.
   */
  endSteps(owner: object): void {
    const ending = this.#waiters.filter((waiter) => ownerOf(waiter) === owner && !(waiter instanceof BatchRequest && waiter.filling));
    if (ending.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => !ending.includes(waiter));
    for (const step of ending) step.fail(undefined);
  }

  /** Hands `datagram` to the oldest waiter; false if none waits. */
  deliver(datagram: Datagram): boolean {
    const waiter = this.#waiters[0];
    if (waiter === undefined) return false;
    if (!waiter.take(datagram)) this.#waiters.shift();
    return true;
  }

  /** Resolves every batch that took datagrams, now rather than at the end of the turn. */
  settleBatches(): void {
    if (this.#endOfTurn === undefined) return;
    clearImmediate(this.#endOfTurn);
    this.#settleFilled();
  }

  /** Fails every waiter with `reason` (iteration steps end instead when it is a closed error); a filled batch fails too, its datagrams discarded. */
  failAll(reason: unknown): void {
    const filled = this.#filled;
    const waiters = this.#waiters;
    this.#filled = [];
    this.#waiters = [];
    if (this.#endOfTurn !== undefined) clearImmediate(this.#endOfTurn);
    this.#endOfTurn = undefined;
    for (const batch of filled) if (!waiters.includes(batch)) batch.fail(reason);
    for (const waiter of waiters) waiter.fail(reason);
  }

  /** Takes an aborted request out of line. */
  remove(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  /** A batch took its first datagram: it resolves at the end of this turn. */
  filling(batch: BatchRequest<unknown>): void {
    this.#filled.push(batch);
    this.#endOfTurn ??= setImmediate(this.#settleFilled);
  }

  /** The end of the turn: every filled batch leaves the line (the first may still be in it) and resolves. */
  readonly #settleFilled = (): void => {
    const filled = this.#filled;
    this.#filled = [];
    this.#endOfTurn = undefined;
    if (this.#waiters[0] === filled.at(-1)) this.#waiters.shift();
    for (const batch of filled) batch.complete();
  };
}

/** The iterator a waiter is a step of, if it is one. */
function ownerOf(waiter: Waiter): object | undefined {
  return waiter instanceof IterationStep || waiter instanceof BatchRequest ? waiter.owner : undefined;
}

/** One waiting `receive()`; it listens for its own signal's abort. */
class ReceiveRequest implements Waiter {
  readonly #resolve: Resolve<Datagram>;
  readonly #reject: Reject;
  readonly #signal: AbortSignal | undefined;
  readonly #owner: PendingReceives;

  constructor(resolve: Resolve<Datagram>, reject: Reject, signal: AbortSignal | undefined, owner: PendingReceives) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#owner = owner;
    signal?.addEventListener('abort', this, { once: true });
  }

  take(datagram: Datagram): boolean {
    this.#signal?.removeEventListener('abort', this);
    this.#resolve(datagram);
    return false;
  }

  fail(reason: unknown): void {
    this.#signal?.removeEventListener('abort', this);
    this.#reject(reason);
  }

  /** The abort listener: leave the line, reject with the signal's reason. */
  handleEvent(): void {
    this.#owner.remove(this);
    this.#reject(this.#signal?.reason);
  }
}

/** One waiting iteration step (`for await`): it resolves iterator results. */
class IterationStep implements Waiter {
  readonly #resolve: Resolve<IteratorResult<Datagram, undefined>>;
  readonly #reject: Reject;

  /** `owner`: the iterator whose step this is. */
  constructor(resolve: Resolve<IteratorResult<Datagram, undefined>>, reject: Reject, readonly owner: object) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  take(datagram: Datagram): boolean {
    this.#resolve({ value: datagram, done: false });
    return false;
  }

  /** A closed error, or no reason at all (its iterator returned), ends it. */
  fail(reason: unknown): void {
    if (reason === undefined || reason instanceof StreamClosedError) this.#resolve(DONE);
    else this.#reject(reason);
  }
}

/**
 * One waiting batch receive, or a step of a batch iteration (`owner` is
 * then its iterator): it fills with up to `max` datagrams during one turn.
 */
class BatchRequest<T> implements Waiter {
  readonly #resolve: Resolve<T>;
  readonly #reject: Reject;
  readonly #max: number;
  readonly #signal: AbortSignal | undefined;
  readonly #line: PendingReceives;
  #batch: Datagram[] = [];

  constructor(
    resolve: Resolve<T>,
    reject: Reject,
    max: number,
    signal: AbortSignal | undefined,
    line: PendingReceives,
    readonly owner: object | undefined,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#max = max;
    this.#signal = signal;
    this.#line = line;
    signal?.addEventListener('abort', this, { once: true });
  }

  /** Whether it took datagrams (and so is complete, resolving at the end of the turn). */
  get filling(): boolean {
    return this.#batch.length > 0;
  }

  take(datagram: Datagram): boolean {
    if (this.#batch.push(datagram) === 1) {
      this.#signal?.removeEventListener('abort', this);
      this.#line.filling(this as BatchRequest<unknown>);
    }
    return this.#batch.length < this.#max;
  }

  /** Resolves with the datagrams it took (an iteration step: as an iterator result). */
  complete(): void {
    this.#resolve((this.owner === undefined ? this.#batch : { value: this.#batch, done: false }) as T);
  }

  fail(reason: unknown): void {
    this.#signal?.removeEventListener('abort', this);
    if (this.owner !== undefined && (reason === undefined || reason instanceof StreamClosedError)) this.#resolve(DONE as T);
    else this.#reject(reason);
  }

  /** The abort listener (removed once a datagram came): leave the line, reject with the signal's reason. */
  handleEvent(): void {
    this.#line.remove(this);
    this.#reject(this.#signal?.reason);
  }
}
