import type { RefusalReason } from '../../protocol/results.js';
import type { AdmissionVerdictMessage } from './worker-event.js';

/** The most places a worker asks for at once, and the most unused ones it keeps for one source (32). */
export const LEASE_BLOCK = 32;

/** What a worker holds of one server's places for one source. */
interface Lease {
  server: string;
  source: string;
  /** Places the primary granted and this worker has not given back. */
  places: number;
  /** Places its open connections use. */
  used: number;
  /** Whether each place goes back as soon as its connection closes (the primary said the server is near a limit). */
  exact: boolean;
}

/** How a worker reaches the primary: a claim answered by a verdict, and places given back. */
export interface LeaseChannel {
  ask(server: string, source: string, want: number): Promise<Omit<AdmissionVerdictMessage, 'kind' | 'id'>>;
  giveBack(server: string, source: string, places: number): void;
}

/**
 * A worker's side of the whole-server limits: the places of each server,
 * per source, that the primary leased to it. A connection takes a place
 * held unused without asking anyone; only when there is none does it claim
 * from the primary, asking for as many as it holds already (1, 2, 4, … up
 * to {@link LEASE_BLOCK}) so a busy source costs one claim per block, not
 * per connection. Unused places go back when the source has no connection
 * left, when more than {@link LEASE_BLOCK} are unused, at once when the
 * primary marked them exact, and all of a server's when the primary
 * reclaims them ({@link reclaim}). The primary never leases more than the
 * limits allow in all, so the limits hold for the whole server.
 */
export class AdmissionLeases {
  readonly #leases = new Map<string, Lease>();
  readonly #channel: LeaseChannel;

  constructor(channel: LeaseChannel) {
    this.#channel = channel;
  }

  /** Takes a place for a connection from `source`: at once when one is held unused, else from the primary; resolves the reason to refuse, if any. */
  claim(server: string, source: string): RefusalReason | undefined | Promise<RefusalReason | undefined> {
    const held = this.#leases.get(keyOf(server, source));
    if (held !== undefined && held.used < held.places) {
      held.used += 1;
      return undefined;
    }
    const want = held === undefined || held.exact ? 1 : Math.min(LEASE_BLOCK, Math.max(1, held.places));
    return this.#channel.ask(server, source, want).then((verdict) => {
      if (verdict.places === undefined) return verdict.reason ?? 'maxConnections';
      const lease = this.#lease(server, source);
      lease.places += verdict.places;
      lease.used += 1;
      lease.exact = verdict.exact === true;
      return undefined;
    });
  }

  /** Frees the place of a closed connection from `source`, giving back what should not be kept. */
  release(server: string, source: string): void {
    const key = keyOf(server, source);
    const lease = this.#leases.get(key);
    if (lease === undefined || lease.used === 0) return;
    lease.used -= 1;
    const unused = lease.places - lease.used;
    const surplus = lease.exact || lease.used === 0 ? unused : unused - LEASE_BLOCK;
    if (surplus > 0) {
      lease.places -= surplus;
      this.#channel.giveBack(server, source, surplus);
    }
    if (lease.places === 0) this.#leases.delete(key);
  }

  /** Gives up every unused place of `server` and holds its places exactly from now on (the primary is near a limit); returns what was given up, by source. */
  reclaim(server: string): [source: string, places: number][] {
    const given: [string, number][] = [];
    for (const [key, lease] of this.#leases) {
      if (lease.server !== server) continue;
      lease.exact = true;
      const unused = lease.places - lease.used;
      if (unused > 0) given.push([lease.source, unused]);
      lease.places = lease.used;
      if (lease.places === 0) this.#leases.delete(key);
    }
    return given;
  }

  #lease(server: string, source: string): Lease {
    const key = keyOf(server, source);
    let lease = this.#leases.get(key);
    if (lease === undefined) this.#leases.set(key, (lease = { server, source, places: 0, used: 0, exact: false }));
    return lease;
  }
}

function keyOf(server: string, source: string): string {
  return `${server}\0${source}`;
}
