import { within } from '@evergreen/stream-core';
import type { ServerSpec } from '../../protocol/server-spec.js';
import type { PauseMode, RefusalReason, ServerInfo, ServerOrigin, ServerState, ServerStatsInfo } from '../../protocol/results.js';
import { DEFAULT_DRAIN_MS, DEFAULT_IDLE_TIMEOUT_MS } from '../../protocol/server-spec.js';
import { Admission } from './admission.js';
import { ConnectionRecord, type ByteCounts, type Closer } from './connection-record.js';
import type { EndpointsSource } from './connection-endpoints.js';
import type { Logger } from '../logging/logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import { ServerStats } from './server-stats.js';
import type { ServerHost } from './server-host.js';

/** What a host is given by the daemon. */
export interface HostContext {
  log: Logger;
  /** Publishes an event on a topic (`connections`, `servers`). */
  emit(topic: string, event: Record<string, unknown>): void;
  /**
   * With workers: claims a place for a connection from `source` under the
   * whole server's `maxConnections` and `maxPerSource` (the primary leases
   * the places to the workers); gives, at once or once the primary has
   * answered, the reason to refuse it, if any. Absent in a daemon without
   * workers, whose own counts are the whole server's.
   */
  claim?(server: string, source: string): RefusalReason | undefined | Promise<RefusalReason | undefined>;
  /** Gives back a place {@link claim} granted, once its connection is closed. */
  release?(server: string, source: string): void;
  /** The next connection's id within its server, unique daemon-wide (a number; with workers, prefixed by the worker's pid). */
  nextConnectionId(): string;
}

/** The sweep period: often enough for idle timeouts, at most once a second. */
const MAX_SWEEP_MS = 1_000;
const MIN_SWEEP_MS = 25;

/**
 * What every hosted server shares, whatever its transport: its spec, state,
 * admission (ACLs and limits), connection records, counters, the sweep that
 * keeps last-activity times and closes idle connections, pause and resume,
 * and a drained stop. Subclasses bind and unbind the transport and feed
 * connections through `_admit` / `_open` / `_finish`.
 */
export abstract class HostedServer implements ServerHost {
  #spec: ServerSpec;
  #origin: ServerOrigin;
  #admission: Admission;
  #state: ServerState = 'starting';
  #pausedMode: PauseMode | null = null;
  readonly #records = new Map<string, ConnectionRecord>();
  readonly #perSource = new Map<string, number>();
  readonly #stats = new ServerStats();
  readonly #refusals: RateLimitedLog;
  #sweep: NodeJS.Timeout | undefined;
  #onIdle: (() => void) | undefined;
  protected readonly _log: Logger;
  protected readonly _context: HostContext;

  constructor(spec: ServerSpec, origin: ServerOrigin, context: HostContext) {
    this.#spec = spec;
    this.#origin = origin;
    this.#admission = new Admission(spec);
    this._context = context;
    this._log = context.log.child({ server: spec.name });
    this.#refusals = new RateLimitedLog(this._log, 'refusal');
  }

  get name(): string {
    return this.#spec.name;
  }

  get spec(): ServerSpec {
    return this.#spec;
  }

  get origin(): ServerOrigin {
    return this.#origin;
  }

  get state(): ServerState {
    return this.#state;
  }

  get pausedMode(): PauseMode | null {
    return this.#pausedMode;
  }

  /** The active connections. */
  get connections(): Iterable<ConnectionRecord> {
    return this.#records.values();
  }

  /**
   * Binds the address and starts serving — or starts paused in `pausedMode`
   * (`unbind`: without binding). Rejects with a `BindError` when the address
   * cannot be had.
   */
  async start(pausedMode: PauseMode | null = null): Promise<void> {
    if (pausedMode !== 'unbind') await this._listen();
    this.#pausedMode = pausedMode;
    this.#setState(pausedMode === null ? 'listening' : 'paused');
    this.#startSweep();
  }

  /**
   * Pauses: `unbind` releases the address (active connections go on),
   * `refuse` keeps it and closes each new connection at once, counted as
   * refused (`paused`). Pausing a paused server changes its mode.
   */
  async pause(mode: PauseMode): Promise<void> {
    if (this.#pausedMode === 'unbind' && mode === 'refuse') await this._listen();
    if (mode === 'unbind' && this.#pausedMode !== 'unbind') await this._unlisten();
    this.#pausedMode = mode;
    this.#setState('paused');
  }

  /** Serves again; after `unbind` the address is claimed again (which can fail: EADDRINUSE). */
  async resume(): Promise<void> {
    if (this.#pausedMode === 'unbind') await this._listen();
    this.#pausedMode = null;
    this.#setState('listening');
  }

  /** Applies new limits and lists to the running server; they hold from the next connection (and sweep) on. */
  update(spec: ServerSpec, origin: ServerOrigin): void {
    this.#spec = spec;
    this.#origin = origin;
    this.#admission = new Admission(spec);
    this.#startSweep();
  }

  /**
   * Stops: releases the address, tells every handler to finish (its
   * context's `signal` is aborted), lets active connections finish for up to
   * `drainMs` (default: the spec's, else 10 s), closes the rest, and resolves
   * when every connection is gone.
   */
  async stop(drainMs = this.#spec.drainMs ?? DEFAULT_DRAIN_MS): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#setState('stopping');
    for (const record of this.#records.values()) record.drain();
    await this._unlisten();
    if (drainMs > 0 && this.#records.size > 0) await within(this.#idle(), drainMs);
    for (const record of [...this.#records.values()]) record.close('stopping');
    await this._closeAll();
    clearInterval(this.#sweep);
    this.#setState('stopped');
  }

  /** Sets the level of this server's log lines. */
  setLogLevel(level: string): void {
    this._log.level = level;
  }

  /** Closes one connection (`connections.close`); false when it is not this server's. */
  closeConnection(id: string): boolean {
    const record = this.#records.get(id);
    record?.close('killed');
    return record !== undefined;
  }

  stats(): ServerStatsInfo {
    return this.#stats.snapshot(this.#records.values(), this.#records.size);
  }

  info(): ServerInfo {
    const spec = this.#spec;
    return { name: spec.name, listen: spec.listen, address: this._address(), handler: spec.handler, origin: this.#origin, state: this.#state, pausedMode: this.#pausedMode, spec, stats: this.stats() };
  }

  /** The reason to refuse a new connection from `source` now, counted and logged (rate-limited); undefined to serve it. */
  protected _refusal(source: string): RefusalReason | undefined {
    const pending = this._inHandshake(source);
    const active = this.#records.size + pending.total;
    const reason = this.#pausedMode === 'refuse' ? 'paused' : this.#admission.admit(source, active, (this.#perSource.get(source) ?? 0) + pending.fromSource);
    if (reason !== undefined) {
      this.#stats.refused[reason] += 1;
      this.#refusals.warn({ source, reason }, 'connection refused');
    }
    return reason;
  }

  /**
   * With workers: whether the whole server has room for one more connection
   * from `source` (see `HostContext.claim`); a refusal is counted and logged
   * as `_refusal`'s are — `refused()` times (read once the verdict came: a
   * datagram host counts each datagram that waited for it). Only called
   * when the context has `claim`.
   */
  protected async _claim(source: string, refused: () => number = () => 1): Promise<boolean> {
    const reason = await this._context.claim!(this.name, source);
    if (reason === undefined) return true;
    this.#stats.refused[reason] += refused();
    this.#refusals.warn({ source, reason }, 'connection refused');
    return false;
  }

  /** Transports with a handshake: the connections admitted and still in it, which count against the limits. */
  protected _inHandshake(_source: string): { total: number; fromSource: number } {
    return { total: 0, fromSource: 0 };
  }

  /**
   * Counts a connection refused because the process is about to run out of
   * file descriptors (`resources`), and logs it at warn, rate-limited, with
   * the limit in force.
   */
  protected _refuseForDescriptors(source: string | undefined, fd: number, openFileLimit: number | undefined): void {
    this.#stats.refused.resources += 1;
    this.#refusals.warn({ source, reason: 'resources', fd, openFileLimit }, 'connection refused: the daemon is about to run out of file descriptors (raise the open-file limit: ulimit -n, or LimitNOFILE= under systemd)');
  }

  /**
   * Counts `count` datagrams dropped before the handler saw them, for want of
   * room (the socket's kernel receive buffer, or its queue in the process),
   * as refused (`resources`), and logs them at warn, rate-limited.
   */
  protected _refuseDropped(count: number, recvBufferSize: number | undefined): void {
    this.#stats.refused.resources += count;
    this.#refusals.warn({ reason: 'resources', dropped: count, recvBufferSize }, 'datagrams dropped: the receive buffer was full (raise recvBufferSize)');
  }

  /**
   * Counts `count` datagrams of a new client dropped while its place was
   * being claimed (more arrived than wait for the verdict) as refused
   * (`resources`), and logs them at warn, rate-limited.
   */
  protected _refuseWhileClaiming(source: string, count: number): void {
    this.#stats.refused.resources += count;
    this.#refusals.warn({ source, reason: 'resources', dropped: count }, 'datagrams dropped: more came from a new client than wait for its admission by the primary');
  }

  /** Registers an admitted connection. */
  protected _open(source: string, counts: ByteCounts, closer: Closer, endpoints?: EndpointsSource): ConnectionRecord {
    const record = new ConnectionRecord(`${this.name}-${this._context.nextConnectionId()}`, this.name, source, counts, closer, endpoints);
    this.#records.set(record.id, record);
    this.#perSource.set(source, (this.#perSource.get(source) ?? 0) + 1);
    this.#stats.accepted += 1;
    // Accepted as the listener was closing: its handler is told at once.
    if (this.#state === 'stopping') record.drain();
    this._context.emit('connections', { type: 'open', id: record.id, server: this.name, source });
    return record;
  }

  /**
   * Unregisters a connection once it is closed; `error` is its handler's
   * failure, if any. `peerReset`: the peer aborted the connection (a
   * reset): what the handler failed with is that, the peer closing, not a
   * fault — logged at debug, not counted as an error, and the close event
   * says `closedBy: "reset"`.
   */
  protected _finish(record: ConnectionRecord, error?: unknown, peerReset = false): void {
    if (!this.#records.delete(record.id)) return;
    const left = (this.#perSource.get(record.source) ?? 1) - 1;
    if (left === 0) this.#perSource.delete(record.source);
    else this.#perSource.set(record.source, left);
    this.#stats.addClosed(record.bytesIn, record.bytesOut);
    // A handler that ends by letting its aborted signal's rejection through did as it was told.
    const told = record.isAbortReason(error);
    const closedBy = record.closedBy ?? (peerReset ? 'reset' : told ? 'stopping' : 'peer');
    if (closedBy === 'reset') {
      this._log.debug({ conn: record.id, source: record.source, err: error }, 'connection reset by its peer');
    } else if (error !== undefined && record.closedBy === undefined && !told) {
      this.#stats.errors += 1;
      this._log.warn({ conn: record.id, source: record.source, err: error }, 'handler failed: its connection is closed');
    }
    this._context.emit('connections', { type: 'close', id: record.id, server: this.name, bytesIn: record.bytesIn, bytesOut: record.bytesOut, closedBy });
    if (this.#records.size === 0) this.#onIdle?.();
  }

  /** Resolves when the last connection is gone; a second stop (a shutdown during a drain) waits alongside the first. */
  #idle(): Promise<void> {
    return new Promise((resolve) => {
      const earlier = this.#onIdle;
      this.#onIdle = () => {
        earlier?.();
        resolve();
      };
    });
  }

  #startSweep(): void {
    clearInterval(this.#sweep);
    const idleMs = this.#spec.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const period = idleMs > 0 ? Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, Math.floor(idleMs / 4))) : MAX_SWEEP_MS;
    this.#sweep = setInterval(() => this.#sweepOnce(idleMs), period);
    this.#sweep.unref();
  }

  #sweepOnce(idleMs: number): void {
    const now = Date.now();
    for (const record of this.#records.values()) {
      if (record.sweep(now, idleMs)) record.close('idle');
    }
    this._sweep();
  }

  /** Transports: runs with each sweep (at most once a second) — for counters read from the OS. */
  protected _sweep(): void {}

  #setState(state: ServerState): void {
    this.#state = state;
    this._context.emit('servers', { type: 'state', name: this.name, state, pausedMode: this.#pausedMode });
  }

  /** Transports: claims the address and starts accepting. */
  protected abstract _listen(): Promise<void>;
  /** Transports: releases the address; active connections go on. */
  protected abstract _unlisten(): Promise<void>;
  /** Transports: closes whatever is left once every connection is closed. */
  protected abstract _closeAll(): Promise<void>;
  /** Transports: the bound address as a URI, or null. */
  protected abstract _address(): string | null;
}
