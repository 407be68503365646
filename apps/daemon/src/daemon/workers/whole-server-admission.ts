import type { RefusalReason } from '../../protocol/results.js';
import { LOCAL_SOURCE, type Admission } from '../hosting/admission.js';
import { LEASE_BLOCK } from './admission-leases.js';

/** A limit of the whole server. */
export type WholeServerLimit = 'maxConnections' | 'maxPerSource';

/**
 * The primary's answer to a claim: places granted, or a refusal; one for
 * a `limit` is `final` unless the workers may hold unused places that would
 * make room.
 */
export type ClaimDecision = { places: number; exact: boolean } | { reason: RefusalReason } | { reason: WholeServerLimit; limit: WholeServerLimit; final: boolean };

/**
 * The primary's count of the places of every server, per source, that it
 * has leased to the workers (a worker admits its connections on the places
 * it holds, see `AdmissionLeases`), so that `maxConnections` and
 * `maxPerSource` limit the whole server, not each worker: the places leased
 * in all never exceed either limit. A claim is granted up to the places it
 * asks for that both limits leave; one that finds no room is not refused
 * for good (`final: false`) until the workers have given back their unused
 * places ({@link tighten}, then the pool's reclaim round): from then on the
 * server (or source) is tight, its places are granted one at a time and
 * come back as soon as their connections close, so a refusal is exact; it
 * loosens again once half the limit is free. A worker that exits has its
 * places given back at once (its connections died with it).
 */
export class WholeServerAdmission {
  readonly #active = new Map<string, number>();
  readonly #perSource = new Map<string, number>();
  /** Each worker's places, by `server\0source`: what its exit gives back. */
  readonly #ledger = new Map<object, Map<string, number>>();
  /** Servers (by name) near `maxConnections`, and sources (by `server\0source`) near `maxPerSource`. */
  readonly #tight = new Set<string>();

  /** Decides on `worker`'s claim of up to `want` places for a connection from `source` (see {@link ClaimDecision}). */
  claim(worker: object, server: string, source: string, want: number, admission: Admission | undefined): ClaimDecision {
    if (admission === undefined) return { reason: 'paused' };
    const key = keyOf(server, source);
    const active = this.#active.get(server) ?? 0;
    const fromSource = this.#perSource.get(key) ?? 0;
    const reason = admission.admit(source, active, fromSource);
    if (reason === 'maxConnections' || reason === 'maxPerSource') return { reason, limit: reason, final: this.#tight.has(reason === 'maxConnections' ? server : key) };
    if (reason !== undefined) return { reason };
    if (active <= admission.maxConnections / 2) this.#tight.delete(server);
    if (fromSource <= admission.maxPerSource / 2) this.#tight.delete(key);
    const exact = this.#tight.has(server) || this.#tight.has(key);
    const sourceRoom = source === LOCAL_SOURCE ? Infinity : admission.maxPerSource - fromSource;
    const places = exact ? 1 : Math.max(1, Math.min(want, LEASE_BLOCK, admission.maxConnections - active, sourceRoom));
    this.#count(worker, server, key, places);
    return { places, exact };
  }

  /** Marks `server` (for `maxConnections`) or its `source` (for `maxPerSource`) tight: granted one place at a time until half the limit is free again. */
  tighten(server: string, source: string, limit: WholeServerLimit): void {
    this.#tight.add(limit === 'maxConnections' ? server : keyOf(server, source));
  }

  /** Takes back `places` places of `server` for `source` that `worker` gives back. */
  giveBack(worker: object, server: string, source: string, places: number): void {
    const key = keyOf(server, source);
    const held = this.#ledger.get(worker)?.get(key) ?? 0;
    const count = Math.min(places, held);
    if (count > 0) this.#count(worker, server, key, -count);
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

  #count(worker: object, server: string, key: string, places: number): void {
    add(this.#active, server, places);
    add(this.#perSource, key, places);
    if (!this.#perSource.has(key)) this.#tight.delete(key);
    let held = this.#ledger.get(worker);
    if (held === undefined) this.#ledger.set(worker, (held = new Map()));
    add(held, key, places);
  }
}

function keyOf(server: string, source: string): string {
  return `${server}\0${source}`;
}

function add(counts: Map<string, number>, key: string, delta: number): void {
  const count = (counts.get(key) ?? 0) + delta;
  if (count <= 0) counts.delete(key);
  else counts.set(key, count);
}
