import { spawn } from 'node:child_process';
import type { Logger } from '../logging/logger.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';

/** The program that speaks sd_notify: Node cannot send on a Unix datagram socket without a native addon. */
export const SYSTEMD_NOTIFY = 'systemd-notify';

/**
 * Tells the service manager how the daemon is doing, as `sd_notify(3)`:
 * `READY=1` with a `STATUS=` line once every server is bound, `RELOADING=1`
 * … `READY=1` around a reload, `STOPPING=1` when a shutdown begins, and
 * `WATCHDOG=1` every half `WATCHDOG_USEC` while the watchdog runs.
 *
 * Active only when `NOTIFY_SOCKET` is set (systemd `Type=notify`); each
 * message runs `systemd-notify`, which sends it from its own pid, so the unit
 * needs `NotifyAccess=all`. Messages go one at a time, in order (a `READY=1`
 * never overtakes the `RELOADING=1` before it); a watchdog ping while one is
 * still queued is skipped. `NOTIFY_SOCKET`, `WATCHDOG_USEC` and
 * `WATCHDOG_PID` leave the environment, so a child of a handler module is
 * never taken for the service.
 *
 * Never throws: a missing `systemd-notify` is one warning (and nothing is
 * sent after it); a failed one a warning, rate-limited. Cost: one short
 * process per message.
 */
export class ReadinessNotifier {
  readonly #socket: string | undefined;
  readonly #watchdogUsec: number | undefined;
  readonly #log: Logger;
  readonly #failures: RateLimitedLog;
  readonly #command: string;
  #queue: Promise<void> = Promise.resolve();
  #watchdog: NodeJS.Timeout | undefined;
  #watchdogQueued = false;
  #missing = false;

  /** Takes the notify variables out of `env`; `command` is `systemd-notify` (another for tests). */
  constructor(log: Logger, env: NodeJS.ProcessEnv = process.env, command = SYSTEMD_NOTIFY, pid = process.pid) {
    const { NOTIFY_SOCKET: socket, WATCHDOG_USEC: watchdogUsec, WATCHDOG_PID: watchdogPid } = env;
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
    this.#socket = socket || undefined;
    const usec = Number(watchdogUsec);
    const ours = watchdogPid === undefined || watchdogPid === String(pid);
    this.#watchdogUsec = ours && Number.isSafeInteger(usec) && usec > 0 ? usec : undefined;
    this.#log = log;
    this.#failures = new RateLimitedLog(log, 'systemd-notify failure');
    this.#command = command;
  }

  /** Whether a service manager listens (`NOTIFY_SOCKET` was set). */
  get active(): boolean {
    return this.#socket !== undefined;
  }

  /** Every server is bound and the control socket listens: `READY=1` and `status`. */
  ready(status: string): void {
    this.#send(['READY=1', `STATUS=${status}`]);
  }

  /** A reload begins (`READY=1` ends it). */
  reloading(): void {
    // Type=notify-reload wants the CLOCK_MONOTONIC time of the reload; Node's hrtime is that clock on Linux.
    this.#send(['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, 'STATUS=reloading the config']);
  }

  /** A shutdown begins. */
  stopping(status: string): void {
    this.#send(['STOPPING=1', `STATUS=${status}`]);
  }

  /** Pings the watchdog every half `WATCHDOG_USEC` (when set) until the process ends. */
  startWatchdog(): void {
    if (this.#watchdogUsec === undefined || this.#watchdog !== undefined || !this.active) return;
    const periodMs = Math.max(1, Math.floor(this.#watchdogUsec / 2000));
    this.#watchdog = setInterval(() => {
      if (this.#watchdogQueued) return;
      this.#watchdogQueued = true;
      this.#send(['WATCHDOG=1'], () => (this.#watchdogQueued = false));
    }, periodMs);
    this.#watchdog.unref();
  }

  /** Resolves once every message queued so far has been handed over (or failed). */
  idle(): Promise<void> {
    return this.#queue;
  }

  #send(assignments: readonly string[], sent?: () => void): void {
    if (!this.active || this.#missing) return;
    this.#queue = this.#queue.then(() => this.#run(assignments)).finally(sent);
  }

  /** Runs systemd-notify once; resolves when it has exited, whatever happened. */
  #run(assignments: readonly string[]): Promise<void> {
    if (this.#missing) return Promise.resolve();
    return new Promise((resolve) => {
      let stderr = '';
      let failed = false;
      const child = spawn(this.#command, [...assignments], { env: { ...process.env, NOTIFY_SOCKET: this.#socket }, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text.slice(0, 1000)));
      child.on('error', (error: NodeJS.ErrnoException) => {
        failed = true;
        if (error.code === 'ENOENT') {
          this.#missing = true;
          this.#log.warn({ command: this.#command }, `${this.#command} not found: the service manager is not told of readiness, reloads or shutdown (install systemd's ${this.#command}, or unset NOTIFY_SOCKET)`);
        } else {
          this.#failures.warn({ err: error }, `cannot run ${this.#command}: the service manager was not told`);
        }
        resolve();
      });
      child.on('close', (code) => {
        if (!failed && code !== 0) this.#failures.warn({ code, stderr: stderr.trim(), message: assignments[0] }, `${this.#command} failed: the service manager was not told`);
        resolve();
      });
    });
  }
}
