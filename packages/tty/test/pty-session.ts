import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const DRIVER = fileURLToPath(new URL('./fixtures/pty-driver.py', import.meta.url));

/** Where one pty's slave goes in the child, and the pty's size. */
export interface PtySpec {
  fds: number[];
  rows?: number;
  cols?: number;
}

/** A pty's local modes, from termios. */
export interface LocalModes {
  icanon: boolean;
  echo: boolean;
  isig: boolean;
}

/** How the child ended: an exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

type Reply = Record<string, unknown> & { ok: boolean; error?: string; output?: string };

/**
 * One Node program run under real pseudo-terminals by test/fixtures/pty-driver.py
 * (python3's pty support). Every wait is bounded inside the driver; a failed
 * command throws with the terminal output seen so far.
 */
export class PtySession implements AsyncDisposable {
  readonly #driver: ChildProcessByStdio<Writable, Readable, null>;
  readonly #replies: AsyncIterator<string>;

  private constructor() {
    this.#driver = spawn('python3', [DRIVER], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#replies = createInterface({ input: this.#driver.stdout })[Symbol.asyncIterator]();
  }

  /** Starts `fixture` (a path relative to test/fixtures) with `args`, its descriptors on `ptys` (the first is its controlling terminal). */
  static async start(fixture: string, args: string[], ptys: PtySpec[] = [{ fds: [0, 1, 2] }]): Promise<PtySession> {
    const session = new PtySession();
    const program = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
    await session.#send({ op: 'spawn', argv: [process.execPath, program, ...args], ptys });
    return session;
  }

  /** Waits until the program wrote `text` to `pty`; resolves everything it wrote before, up to and including it. */
  async expect(text: string, pty = 0): Promise<string> {
    return (await this.#send({ op: 'expect', pty, text })).before as string;
  }

  /** Types `data` into `pty` (Enter is "\r", as a terminal sends it). */
  async type(data: string, pty = 0): Promise<void> {
    await this.#send({ op: 'write', pty, data });
  }

  /** Resizes `pty` as a terminal emulator does (TIOCSWINSZ, then SIGWINCH). */
  async resize(rows: number, cols: number, pty = 0): Promise<void> {
    await this.#send({ op: 'resize', pty, rows, cols });
  }

  /** The local modes `pty` is in now. */
  async modes(pty = 0): Promise<LocalModes> {
    const { icanon, echo, isig } = await this.#send({ op: 'termios', pty });
    return { icanon, echo, isig } as LocalModes;
  }

  /** Sends `signal` to the program. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    await this.#send({ op: 'signal', signal });
  }

  /** Waits for the program to exit. */
  async exit(): Promise<ExitStatus> {
    const { code, signal } = await this.#send({ op: 'wait' });
    return { code, signal } as ExitStatus;
  }

  /** Ends the driver, which kills the program if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    const driver = this.#driver;
    const exited = driver.exitCode !== null || driver.signalCode !== null ? undefined : once(driver, 'exit');
    driver.stdin.end();
    await exited;
  }

  async #send(command: Record<string, unknown>): Promise<Reply> {
    this.#driver.stdin.write(`${JSON.stringify(command)}\n`);
    const line = await this.#replies.next();
    if (line.done === true) throw new Error(`The pty driver ended before answering ${command.op}`);
    const reply = JSON.parse(line.value) as Reply;
    if (!reply.ok) throw new Error(`pty driver: ${command.op} failed: ${reply.error}\n--- terminal output ---\n${reply.output}`);
    return reply;
  }
}
