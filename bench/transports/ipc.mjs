// The request/reply protocol between the orchestrator and its child
// processes (servers under test and the load client), over the IPC channel
// of child_process.fork: `{ id, op, params }` out, `{ id, result | error }`
// back. Both sides live here so the protocol is written once.
//
// Cleanup: every child still running when the orchestrator exits — normally,
// on an uncaught error or on SIGINT/SIGTERM — is killed, and a child whose
// orchestrator vanished (its IPC channel closed) exits by itself.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_BINARY } from './options.mjs';

/** How long one request may take before the run is failed (the longest, a 1 GiB transfer, takes a few seconds). */
const REQUEST_TIMEOUT_MS = 120_000;
/** How long a child may take to start and report ready. */
const START_TIMEOUT_MS = 30_000;
/** How long a child may take to exit after being asked to (writing a CPU profile takes a moment). */
const EXIT_TIMEOUT_MS = 10_000;

const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

/** The orchestrator's handle on one child process. */
export class Child {
  #process;
  #nextId = 0;
  #pending = new Map();
  #exited;

  constructor(handle) {
    this.#process = handle;
    this.#exited = once(handle, 'exit');
    handle.on('message', (message) => this.#settle(message));
    handle.once('exit', (code, signal) => {
      running.delete(handle);
      const error = new Error(`Cannot complete the request: the child exited (${signal ?? code})`);
      for (const { reject } of this.#pending.values()) reject(error);
      this.#pending.clear();
    });
  }

  /**
   * Forks `script` with `args` and Node flags `execArgv`; resolves the child
   * and the value it reported when ready (a server's address).
   */
  static async start(script, args, execArgv = []) {
    const handle = fork(new URL(script, import.meta.url), args, { execPath: NODE_BINARY, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    running.add(handle);
    const child = new Child(handle);
    const ready = once(handle, 'message').then(([message]) => message.ready);
    const exited = child.#exited.then(([code, signal]) => Promise.reject(new Error(`Cannot start ${script}: it exited (${signal ?? code})`)));
    return { child, ready: await within(Promise.race([ready, exited]), START_TIMEOUT_MS, `start ${script}`) };
  }

  /** The child's process id. */
  get pid() {
    return this.#process.pid;
  }

  /** Asks the child to run `op`; resolves its result, rejects with its error or after the timeout. */
  request(op, params = {}) {
    const id = this.#nextId++;
    const reply = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#process.send({ id, op, params });
    return within(reply, REQUEST_TIMEOUT_MS, op);
  }

  /** Asks the child to exit (so a CPU profile gets written), killing it if it does not in time. */
  async stop() {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    this.#process.send({ op: 'exit' });
    const exited = await Promise.race([this.#exited.then(() => true), sleep(EXIT_TIMEOUT_MS, false)]);
    if (!exited) this.#process.kill('SIGKILL');
  }

  #settle({ id, result, error }) {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (error === undefined) pending.resolve(result);
    else pending.reject(new Error(`The child failed to ${error}`));
  }
}

/**
 * Child side: answers each request with `handlers[op](params)`, reports
 * `ready` to the orchestrator, and exits when asked to or when the
 * orchestrator is gone.
 */
export function answerRequests(handlers, ready) {
  process.on('message', async ({ id, op, params }) => {
    if (op === 'exit') process.exit(0);
    try {
      const handler = handlers[op];
      if (handler === undefined) throw new Error(`${op}: no such operation`);
      process.send({ id, result: await handler(params) });
    } catch (error) {
      process.send({ id, error: `${op}: ${error?.stack ?? error}` });
    }
  });
  process.once('disconnect', () => process.exit(1));
  process.send({ ready });
}

/**
 * What a child has used so far: CPU time (user + system, microseconds) and
 * minor page faults (pages the kernel had to map on first touch: fresh
 * memory costs one per 4 KiB page).
 */
export function usage() {
  const { userCPUTime, systemCPUTime, minorPageFault } = process.resourceUsage();
  return { cpu: userCPUTime + systemCPUTime, faults: minorPageFault };
}

async function within(promise, ms, what) {
  const controller = new AbortController();
  const timeout = sleep(ms, undefined, { signal: controller.signal }).then(() => Promise.reject(new Error(`Cannot ${what}: no answer within ${ms} ms`)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    controller.abort();
    timeout.catch(() => {});
  }
}
