import type { Worker } from 'node:cluster';
import type { WorkerInfo } from '../../protocol/results.js';
import { fromWorkerFailure, type WorkerCalls, type WorkerMethod, type WorkerReplyMessage, type WorkerSnapshot } from './worker-call.js';
import type { AdmissionVerdictMessage, WorkerEventMessage } from './worker-event.js';

/** What a {@link WorkerProcess} tells its pool. */
export interface WorkerProcessEvents {
  message(worker: WorkerProcess, message: WorkerEventMessage): void;
  exit(worker: WorkerProcess, code: number | null, signal: string | null): void;
}

/** A call to a worker that exited before it answered. */
export class WorkerGoneError extends Error {
  constructor(pid: number) {
    super(`Cannot reach worker ${pid}: it has exited`);
    this.name = 'WorkerGoneError';
  }
}

/**
 * The primary's handle on one worker process: typed calls with their
 * replies matched by id (each rejects with {@link WorkerGoneError} if the
 * worker exits first), its last snapshot, and how long its oldest
 * unanswered call has waited (what the pool's watchdog reads).
 */
export class WorkerProcess {
  readonly pid: number;
  readonly slot: number;
  readonly generation: number;
  readonly startedAt = Date.now();
  state: WorkerInfo['state'] = 'starting';
  /** Its last snapshot, or undefined before the first. */
  snapshot: WorkerSnapshot | undefined;
  /** Resolves once the worker has exited. */
  readonly exited: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #callNumber = 0;
  #gone = false;
  readonly #ready: Promise<void>;

  constructor(worker: Worker, slot: number, generation: number, events: WorkerProcessEvents) {
    this.#worker = worker;
    this.pid = worker.process.pid!;
    this.slot = slot;
    this.generation = generation;
    let ready: () => void;
    let failed: (error: Error) => void;
    this.#ready = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.#ready.catch(() => {});
    worker.on('message', (message: WorkerEventMessage | WorkerReplyMessage) => {
      if (message.kind === 'ready') ready();
      else if (message.kind === 'reply') this.#settle(message);
      else events.message(this, message);
    });
    this.exited = new Promise((resolve) => {
      worker.on('exit', (code, signal) => {
        this.#gone = true;
        failed(new WorkerGoneError(this.pid));
        for (const call of this.#pending.values()) call.reject(new WorkerGoneError(this.pid));
        this.#pending.clear();
        events.exit(this, code, signal);
        resolve();
      });
    });
  }

  /** Whether it is still running. */
  get alive(): boolean {
    return !this.#gone;
  }

  /** Resolves once the worker can take calls; rejects with {@link WorkerGoneError} if it exits first. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Calls `method` in the worker; rejects with the worker's error, or {@link WorkerGoneError}. */
  call<M extends WorkerMethod>(method: M, params: WorkerCalls[M]['params']): Promise<WorkerCalls[M]['result']> {
    // A worker being retired has its channel closed before it exits: it takes no more calls.
    if (this.#gone || !this.#worker.isConnected()) return Promise.reject(new WorkerGoneError(this.pid));
    const id = (this.#callNumber += 1);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // With a callback, a channel that closes meanwhile fails this send, not the process ('error' on the worker).
      this.#worker.send({ kind: 'call', id, method, params }, (error: Error | null) => {
        if (error === null || !this.#pending.delete(id)) return;
        reject(new WorkerGoneError(this.pid));
      });
    });
  }

  /** Answers a worker's claim. */
  send(message: AdmissionVerdictMessage): void {
    if (!this.#gone && this.#worker.isConnected()) this.#worker.send(message, () => {});
  }


  /** Ends the worker with `signal` (a worker that does not answer gets SIGKILL). */
  kill(signal: NodeJS.Signals): void {
    if (!this.#gone) this.#worker.process.kill(signal);
  }

  /** Closes the IPC channel: a worker told to shut down exits then. */
  disconnect(): void {
    if (!this.#gone && this.#worker.isConnected()) this.#worker.disconnect();
  }

  info(): WorkerInfo {
    const hosts = Object.values(this.snapshot?.hosts ?? {});
    return {
      pid: this.pid,
      generation: this.generation,
      slot: this.slot,
      state: this.state,
      startedAt: this.startedAt,
      connections: hosts.reduce((sum, host) => sum + host.stats.active, 0),
      rss: this.snapshot?.rss ?? 0,
      heapUsed: this.snapshot?.heapUsed ?? 0,
    };
  }

  #settle(message: WorkerReplyMessage): void {
    const call = this.#pending.get(message.id);
    if (call === undefined) return;
    this.#pending.delete(message.id);
    if (message.failure !== undefined) call.reject(fromWorkerFailure(message.failure));
    else call.resolve(message.result);
  }
}
