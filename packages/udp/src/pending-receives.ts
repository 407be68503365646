import { StreamClosedError } from '@evergreen/stream-core';
import type { Datagram } from './datagram.js';

/** The result an iteration step resolves with once the endpoint is closed. */
export const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/** One waiting receive or iteration step. */
interface Waiter {
  /** Resolves with `datagram`, or, when none is given, fails with `reason`. */
  settle(datagram: Datagram | undefined, reason: unknown): void;
}

type Resolve<T> = (value: T) => void;
type Reject = (reason: unknown) => void;

/**
 * The `receive()` calls (and iteration steps) waiting for a datagram, served
 * in call order. An aborted receive leaves the line at once and rejects with
 * its signal's reason; since a datagram is only ever handed to a receive
 * still in line, an abort drops nothing.
 *
 * Cost: one promise and one small object per waiting receive. The promise
 * executor is shared, and the abort listener is the request itself
 * (`handleEvent`), so neither allocates a closure.
 */
export class PendingReceives {
  #waiters: Waiter[] = [];
  #resolve: Resolve<never> | undefined;
  #reject: Reject | undefined;
  readonly #capture = (resolve: Resolve<never>, reject: Reject): void => {
    this.#resolve = resolve;
    this.#reject = reject;
  };

  /** How many receives are waiting. */
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

  /** Ends `owner`'s waiting iteration steps with {@link DONE}: they take no datagram. */
  endSteps(owner: object): void {
    const ending = this.#waiters.filter((waiter) => waiter instanceof IterationStep && waiter.owner === owner);
    if (ending.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => !ending.includes(waiter));
    for (const step of ending) step.settle(undefined, undefined);
  }

  /** Hands `datagram` to the oldest waiter; false if none waits. */
  deliver(datagram: Datagram): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    waiter.settle(datagram, undefined);
    return true;
  }

  /** Fails every waiter with `reason` (iteration steps end instead when it is a closed error). */
  failAll(reason: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.settle(undefined, reason);
  }

  /** Takes an aborted request out of line. */
  remove(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }
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

  settle(datagram: Datagram | undefined, reason: unknown): void {
    this.#signal?.removeEventListener('abort', this);
    if (datagram === undefined) this.#reject(reason);
    else this.#resolve(datagram);
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

  /** A datagram resolves it; a closed error, or no reason at all (its iterator returned), ends it. */
  settle(datagram: Datagram | undefined, reason: unknown): void {
    if (datagram !== undefined) this.#resolve({ value: datagram, done: false });
    else if (reason === undefined || reason instanceof StreamClosedError) this.#resolve(DONE);
    else this.#reject(reason);
  }
}
