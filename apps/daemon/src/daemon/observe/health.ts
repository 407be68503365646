import type { ServerState } from '../../protocol/results.js';

/** What the health checks read of the control socket: whether it is served, and how many clients it has. */
export interface ControlProbe {
  serving(): boolean;
  connections(): number;
}

/**
 * The daemon's health as `/healthz` and `/readyz` tell it (Kubernetes'
 * liveness and readiness, a load balancer's check):
 *
 * - live while the control socket is served — from the moment it listens
 *   (`attachControl`) until the probe says it no longer is;
 * - ready once `markStarted` says every configured server has been started,
 *   while every server is bound (`listening`, or `paused`: a pause is the
 *   operator's choice, not a failure), and never again from the first moment
 *   of a shutdown (`markStopping`), so a load balancer stops sending new
 *   connections before the listeners go away.
 *
 * Cost: reading it is one pass over the servers' states; nothing is polled.
 */
export class Health {
  readonly #servers: () => Iterable<{ readonly state: ServerState }>;
  #control: ControlProbe | undefined;
  #started = false;
  #stopping = false;

  /** `servers` lists the servers hosted now. */
  constructor(servers: () => Iterable<{ readonly state: ServerState }>) {
    this.#servers = servers;
  }

  /** Every configured server has been started: ready from now on, while they stay bound. */
  markStarted(): void {
    this.#started = true;
  }

  /** A shutdown begins: not ready from now on, for good. Idempotent. */
  markStopping(): void {
    this.#stopping = true;
  }

  /** The control socket is served: live while `probe.serving()` says so. */
  attachControl(probe: ControlProbe): void {
    this.#control = probe;
  }

  /** Whether the process serves its control socket. */
  get live(): boolean {
    return this.#control?.serving() === true;
  }

  /** Whether new connections should be sent here (see the class). */
  get ready(): boolean {
    if (!this.#started || this.#stopping) return false;
    for (const server of this.#servers()) if (server.state !== 'listening' && server.state !== 'paused') return false;
    return true;
  }

  /** Control connections open now (0 before the control socket is attached). */
  get controlConnections(): number {
    return this.#control?.connections() ?? 0;
  }
}
