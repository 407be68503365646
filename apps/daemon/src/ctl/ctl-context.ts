import { once } from 'node:events';
import { PROTOCOL_VERSION } from '../protocol/protocol-version.js';
import { RpcError } from '../protocol/rpc-error.js';
import { VERSION } from '../version.js';
import { DaemonClient, type DaemonHello } from './daemon-client.js';
import { DaemonUnresponsiveError } from './daemon-unresponsive-error.js';
import { ExitCode } from './exit-codes.js';

/**
 * How long the daemon may take to answer the `hello` greeting (5 s): it
 * answers at once, so past that the peer is no daemon or a stuck one, and the
 * command ends (exit 3) instead of waiting for ever (docs/cli.md).
 */
export const HELLO_TIMEOUT_MS = 5000;

/** Where a command's output goes: `out` is the result (stdout), `err` diagnostics (stderr). */
export interface CtlOutput {
  out(text: string): void;
  err(text: string): void;
  /** Resolves once `out`'s destination has taken what it was given (none that pushes back resolves at once); rejects with its error. */
  drained?(): Promise<void>;
}

/** The process's stdout and stderr. */
export const processOutput: CtlOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  // Node queues what a pipe cannot take yet, without bound: a follower waits instead.
  drained: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => {}) : Promise.resolve()),
};

/**
 * What every evergreenctl command shares: the global `--socket` option,
 * output, and the daemon connection. `connect()` greets the daemon with
 * `hello` and warns on stderr (never stdout, which scripts parse) when its
 * protocol revision or version differ from this evergreenctl's.
 * Errors: `connect()` rejects like `DaemonClient.connect`, and with
 * `DaemonUnresponsiveError` when `hello` has no answer within
 * `HELLO_TIMEOUT_MS`.
 */
export class CtlContext {
  readonly #output: CtlOutput;
  readonly #socket: () => string | undefined;
  readonly #clients = new Set<DaemonClient>();
  #exitCode: number = ExitCode.OK;

  /** `socket` reads `--socket` once the command line is parsed. */
  constructor(socket: () => string | undefined, output: CtlOutput = processOutput) {
    this.#socket = socket;
    this.#output = output;
  }

  /** The exit code a command chose without failing (`top` ended by a signal); 0 by default. */
  get exitCode(): number {
    return this.#exitCode;
  }

  /** Sets the exit code of a command that ends without an error but not with 0. */
  exitWith(code: number): void {
    this.#exitCode = code;
  }

  /** Writes lines (each ended by a newline) to stdout. */
  print(lines: string | readonly string[]): void {
    const list = typeof lines === 'string' ? [lines] : lines;
    if (list.length > 0) this.#output.out(`${list.join('\n')}\n`);
  }

  /**
   * Resolves once stdout has taken everything printed (at once when it keeps
   * up): a command that prints for as long as events come waits here, so a
   * slow reader of its output slows it instead of filling its memory.
   */
  outputDrained(): Promise<void> {
    return this.#output.drained?.() ?? Promise.resolve();
  }

  /** Writes `value` as indented JSON to stdout. */
  printJson(value: unknown): void {
    this.#output.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes `evergreenctl: <text>` to stderr. */
  warn(text: string): void {
    this.#output.err(`evergreenctl: ${text}\n`);
  }

  /** The control socket this invocation uses: `--socket`, `EVERGREEN_SOCKET`, the default. */
  get socketPath(): string {
    return this.#socket() ?? DaemonClient.socketPath();
  }

  /** A client connected to the daemon and greeted; closed by `closeAll()`. */
  async connect(): Promise<DaemonClient> {
    const client = await this.#open();
    await this.#greet(client);
    return client;
  }

  /**
   * What `request` resolves on a client as `connect()` gives, in one round
   * trip instead of two: the request goes out with `hello`, and its answer is
   * taken once the greeting went as in `connect()` (warnings first). Rejects
   * as `connect()` does (the greeting's failure first), then as the request.
   */
  async ask<T>(request: (client: DaemonClient) => Promise<T>): Promise<T> {
    const client = await this.#open();
    const greeting = this.#greet(client);
    const answer = request(client);
    // Its failure counts only once the greeting went well.
    answer.catch(() => {});
    await greeting;
    return answer;
  }

  /**
   * Whether a daemon answers `hello` at the socket now, on a fresh connection
   * closed again at once (bounded by `HELLO_TIMEOUT_MS`; no version warnings).
   * Never rejects: any failure is `false`.
   */
  async daemonAnswers(): Promise<boolean> {
    let client: DaemonClient | undefined;
    try {
      client = await DaemonClient.connect(this.socketPath);
      await helloWithin(client, HELLO_TIMEOUT_MS);
      return true;
    } catch {
      return false;
    } finally {
      client?.close();
    }
  }

  /** Closes every client `connect()` made. */
  closeAll(): void {
    for (const client of this.#clients) client.close();
    this.#clients.clear();
  }

  async #open(): Promise<DaemonClient> {
    const client = await DaemonClient.connect(this.socketPath);
    this.#clients.add(client);
    return client;
  }

  async #greet(client: DaemonClient): Promise<void> {
    let hello;
    try {
      hello = await helloWithin(client, HELLO_TIMEOUT_MS);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      this.warn(`warning: cannot check the daemon's version: ${error.message}`);
      return;
    }
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.warn(`warning: the daemon speaks control protocol ${hello.protocol} and this evergreenctl ${PROTOCOL_VERSION}: commands may fail or be misread (use the evergreenctl of the daemon's release)`);
    }
    if (hello.version !== VERSION) this.warn(`warning: evergreend is version ${hello.version} and this evergreenctl ${VERSION}`);
  }
}

/** `client.hello()`, or `DaemonUnresponsiveError` (the client closed) when it has no answer within `ms`. */
function helloWithin(client: DaemonClient, ms: number): Promise<DaemonHello> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new DaemonUnresponsiveError(client.path, ms));
      client.close();
    }, ms);
    client.hello().then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
