/**
 * The TLS handshakes a server has admitted and not yet finished, by client
 * address and port, so that admission counts them (per server and per
 * source) before a connection exists. Finished handshakes are taken out by
 * the success and failure paths; one whose end went unreported (the
 * listener closed under it) is dropped once it is older than `maxAgeMs`,
 * the handshake timeout and a margin, by which time it has surely ended.
 * Cost: two map updates per handshake; pruning touches only stale entries.
 */
export class HandshakesInProgress {
  readonly #byClient = new Map<string, { source: string; startedAt: number }>();
  readonly #bySource = new Map<string, number>();
  readonly #maxAgeMs: number;

  constructor(maxAgeMs: number) {
    this.#maxAgeMs = maxAgeMs;
  }

  /** Handshakes in progress now. */
  get size(): number {
    this.#prune(Date.now());
    return this.#byClient.size;
  }

  /** Handshakes in progress from `source` (an address). */
  fromSource(source: string): number {
    this.#prune(Date.now());
    return this.#bySource.get(source) ?? 0;
  }

  /** Notes the start of a handshake from `source`:`port`. */
  start(source: string, port: number, now = Date.now()): void {
    const key = clientKey(source, port);
    if (this.#byClient.has(key)) this.finish(source, port, now);
    this.#byClient.set(key, { source, startedAt: now });
    this.#bySource.set(source, (this.#bySource.get(source) ?? 0) + 1);
  }

  /** Ends the handshake of `source`:`port`; resolves how long it took in ms, or undefined when it was not in progress. */
  finish(source: string, port: number, now = Date.now()): number | undefined {
    const key = clientKey(source, port);
    const entry = this.#byClient.get(key);
    if (entry === undefined) return undefined;
    this.#remove(key, entry.source);
    return now - entry.startedAt;
  }

  #prune(now: number): void {
    // Insertion order is start order: the stale ones are first.
    for (const [key, entry] of this.#byClient) {
      if (now - entry.startedAt <= this.#maxAgeMs) break;
      this.#remove(key, entry.source);
    }
  }

  #remove(key: string, source: string): void {
    this.#byClient.delete(key);
    const left = (this.#bySource.get(source) ?? 1) - 1;
    if (left === 0) this.#bySource.delete(source);
    else this.#bySource.set(source, left);
  }
}

function clientKey(source: string, port: number): string {
  return `${source}|${port}`;
}
