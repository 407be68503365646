/**
 * Signals after which a terminal must not be left raw: a user's interrupt
 * (sent by `kill`: raw mode turns off the keyboard's ^C), a supervisor's
 * terminate, and a hang-up. Their default action ends the process.
 */
const RESTORED_ON: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Puts every terminal that a stream left in raw mode back into the mode it
 * had, however the process ends: on `'exit'` (a normal end, `process.exit()`,
 * an uncaught exception — Node emits `'exit'` for each), and on SIGINT,
 * SIGTERM and SIGHUP.
 *
 * The choices, and why:
 * - Listeners exist only while some terminal is raw: a program that never
 *   uses raw mode keeps Node's signal behaviour untouched.
 * - A signal listener is added only when the program has none of its own for
 *   that signal, and one added later wins: with another listener present
 *   ours does nothing, so the program decides (it may keep running, raw).
 * - On a signal it restores, removes its listeners (Node then puts the
 *   signal's default action back) and sends the signal again, so the process
 *   dies of it and its parent sees the true exit status (128 + n in a shell).
 * - Node itself restores only stdio's terminal and the first one put into
 *   raw mode (libuv's `uv_tty_reset_mode`), on exit, SIGINT and SIGTERM; this
 *   covers every raw terminal, SIGHUP, and restores as soon as a stream is
 *   closed (`TTYStream#close`) rather than at exit.
 * - The cost of a JavaScript signal listener: the signal is handled when the
 *   event loop next turns, so a program that blocks the loop dies of SIGTERM
 *   only once it yields (as with any `process.on('SIGTERM')`).
 */
export class RawModeRegistry {
  readonly #restorers = new Set<() => void>();
  readonly #listening = new Set<NodeJS.Signals>();
  readonly #onExit = (): void => this.restoreAll();
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    // Someone else listens: the signal is theirs to act on.
    if (process.listenerCount(signal) > 1) return;
    this.restoreAll();
    process.kill(process.pid, signal);
  };

  /** Registers `restore` (it must not throw) for a terminal just put into raw mode. */
  add(restore: () => void): void {
    if (this.#restorers.size === 0) this.#listen();
    this.#restorers.add(restore);
  }

  /** Forgets `restore`: its terminal left raw mode or was closed. */
  delete(restore: () => void): void {
    if (this.#restorers.delete(restore) && this.#restorers.size === 0) this.#unlisten();
  }

  /** Runs every registered restore once, then stops listening. */
  restoreAll(): void {
    const restorers = [...this.#restorers];
    this.#restorers.clear();
    this.#unlisten();
    for (const restore of restorers) restore();
  }

  #listen(): void {
    process.on('exit', this.#onExit);
    for (const signal of RESTORED_ON) {
      if (process.listenerCount(signal) > 0) continue;
      process.on(signal, this.#onSignal);
      this.#listening.add(signal);
    }
  }

  #unlisten(): void {
    process.off('exit', this.#onExit);
    for (const signal of this.#listening) process.off(signal, this.#onSignal);
    this.#listening.clear();
  }
}

/** The process's one registry: terminals are a process-wide resource. */
export const rawModeRegistry = new RawModeRegistry();
