import type { Datagram } from './datagram.js';

/**
 * The `receive()` calls waiting for a datagram, served in call order. An
 * aborted receive leaves the line at once and rejects with its signal's
 * reason; since a datagram is only ever handed to a receive still in line,
 * an abort drops nothing.
 *
 * Cost: one small object per waiting receive; the abort listener is that
 * object itself (`handleEvent`), so no closure is allocated for it.
 */
export class PendingReceives {
  #requests: ReceiveRequest[] = [];

  /** How many receives are waiting. */
  get length(): number {
    return this.#requests.length;
  }

  /** A promise of the next datagram no earlier receive takes; `signal` cancels it. */
  wait(signal: AbortSignal | undefined): Promise<Datagram> {
    return new Promise<Datagram>((resolve, reject) => {
      this.#requests.push(new ReceiveRequest(resolve, reject, signal, this));
    });
  }

  /** Hands `datagram` to the oldest waiting receive; false if none waits. */
  deliver(datagram: Datagram): boolean {
    const request = this.#requests.shift();
    if (request === undefined) return false;
    request.settle(datagram, undefined);
    return true;
  }

  /** Rejects every waiting receive with `reason`. */
  failAll(reason: unknown): void {
    const requests = this.#requests;
    this.#requests = [];
    for (const request of requests) request.settle(undefined, reason);
  }

  /** Takes an aborted request out of line. */
  remove(request: ReceiveRequest): void {
    const index = this.#requests.indexOf(request);
    if (index >= 0) this.#requests.splice(index, 1);
  }
}

/** One waiting receive; it listens for its own signal's abort. */
class ReceiveRequest {
  readonly #resolve: (datagram: Datagram) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #owner: PendingReceives;

  constructor(
    resolve: (datagram: Datagram) => void,
    reject: (reason: unknown) => void,
    signal: AbortSignal | undefined,
    owner: PendingReceives,
  ) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#owner = owner;
    signal?.addEventListener('abort', this, { once: true });
  }

  /** Resolves with `datagram`, or rejects with `reason` when no datagram is given. */
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
