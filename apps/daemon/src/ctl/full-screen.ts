import { isatty } from 'node:tty';
import { StdinStream, StdoutStream, type WinSize } from '@evergreen/tty';
import { UsageError } from './usage-error.js';

const ESC = '\u001b[';
const ALTERNATE_SCREEN = `${ESC}?1049h`;
const MAIN_SCREEN = `${ESC}?1049l`;
const HIDE_CURSOR = `${ESC}?25l`;
const SHOW_CURSOR = `${ESC}?25h`;
const CLEAR_TO_END_OF_LINE = `${ESC}K`;
const CLEAR_TO_END_OF_SCREEN = `${ESC}J`;

/**
 * The terminal as a full-screen view, on @evergreen/tty: `enter()` puts
 * stdin in raw mode (keys arrive one at a time, unechoed; ^C is a key) and
 * switches to the alternate screen with the cursor hidden; `leave()` undoes
 * all three and releases stdin and stdout, once, however it is reached. A
 * terminal still raw when the process dies is restored by @evergreen/tty.
 *
 * Errors: `open()` throws `UsageError` when stdin or stdout is not a
 * terminal; `enter()` throws the `TTYError` of a terminal that refuses raw
 * mode. Cost: one write of the whole screen per `draw()`.
 */
export class FullScreen {
  readonly #stdin: StdinStream;
  readonly #stdout: StdoutStream;
  #entered = false;
  #left = false;

  private constructor() {
    this.#stdin = new StdinStream();
    this.#stdout = new StdoutStream();
  }

  /** The process's terminal; `UsageError` naming `what` when stdin or stdout is not one. */
  static open(what: string): FullScreen {
    if (!isatty(0) || !isatty(1)) throw new UsageError(`Cannot run ${what}: stdin and stdout must be a terminal (in scripts, use evergreenctl stats --json)`);
    return new FullScreen();
  }

  /** The terminal's size now. */
  get size(): WinSize {
    return this.#stdout.winsize;
  }

  /** Raw mode, alternate screen, cursor hidden. */
  enter(): void {
    this.#stdin.setRawMode(true);
    this.#entered = true;
    this.#stdout.write(ALTERNATE_SCREEN + HIDE_CURSOR);
  }

  /** Paints `lines` from the top left, each cut to the width, as many as fit; clears the rest. */
  draw(lines: readonly string[]): void {
    if (this.#left) return;
    const { columns, rows } = this.size;
    const shown = lines.slice(0, rows).map((line, row) => `${ESC}${row + 1};1H${line.slice(0, columns)}${CLEAR_TO_END_OF_LINE}`);
    this.#stdout.write(shown.join('') + CLEAR_TO_END_OF_SCREEN);
  }

  /** The keys typed, a chunk at a time, until `leave()`. */
  async *keys(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for await (const chunk of this.#stdin) yield chunk;
    } catch (error) {
      if (!this.#left) throw error;
    }
  }

  /** The terminal's new size at each resize, until `signal` aborts or `leave()`. */
  async *resizes(signal: AbortSignal): AsyncGenerator<WinSize, void, undefined> {
    try {
      yield* this.#stdout.resizes({ signal });
    } catch (error) {
      if (!signal.aborted && !this.#left) throw error;
    }
  }

  /** Cooked mode, main screen, cursor shown; stdin and stdout released. Idempotent. */
  async leave(): Promise<void> {
    if (this.#left) return;
    this.#left = true;
    try {
      if (this.#stdin.isRaw) this.#stdin.setRawMode(false);
      if (this.#entered) {
        this.#stdout.write(SHOW_CURSOR + MAIN_SCREEN);
        await this.#stdout.flush();
      }
    } finally {
      this.#stdin.close();
      this.#stdout.close();
    }
  }
}
