import type { RefusalReason } from '../../protocol/results.js';
import type { Admission } from '../hosting/admission.js';

/**
 * The primary's count of every worker's connections, per server and per
 * source, so that `maxConnections` and `maxPerSource` limit the whole
 * server, not each worker: a worker claims a place before it serves a
 * connection and releases it once the connection is closed. A worker that
 * exits has its places given back at once (its connections died with it).
 * Cost: one IPC round trip per connection, a few map updates.
 */
export class WholeServerAdmission {
  readonly #active = new Map<string, number>();
  readonly #perSource = new Map<string, number>();
  /** Each worker's places, by `server\0source`: what its exit gives back. */
  readonly #ledger = new Map<object, Map<string, number>>();

  /** Claims a place for `worker`'s new connection, or says why not (`maxConnections`, `maxPerSource`, `denied`). */
  claim(worker: object, server: string, source: string, admission: Admission | undefined): RefusalReason | undefined {
    if (admission === undefined) return 'paused';
    const key = `${server}\0${source}`;
    const reason = admission.admit(source, this.#active.get(server) ?? 0, this.#perSource.get(key) ?? 0);
    if (reason !== undefined) return reason;
    add(this.#active, server, 1);
    add(this.#perSource, key, 1);
    let places = this.#ledger.get(worker);
    if (places === undefined) this.#ledger.set(worker, (places = new Map()));
    add(places, key, 1);
    return undefined;
  }

  /** Gives back one place `worker` claimed. */
  release(worker: object, server: string, source: string): void {
    const key = `${server}\0${source}`;
    const places = this.#ledger.get(worker);
    if (places === undefined || (places.get(key) ?? 0) === 0) return;
    add(places, key, -1);
    add(this.#active, server, -1);
    add(this.#perSource, key, -1);
  }

  /** Gives back every place of a worker that has exited. */
  forget(worker: object): void {
    const places = this.#ledger.get(worker);
    if (places === undefined) return;
    this.#ledger.delete(worker);
    for (const [key, count] of places) {
      add(this.#active, key.slice(0, key.indexOf('\0')), -count);
      add(this.#perSource, key, -count);
    }
  }
}

function add(counts: Map<string, number>, key: string, delta: number): void {
  const count = (counts.get(key) ?? 0) + delta;
  if (count <= 0) counts.delete(key);
  else counts.set(key, count);
}
