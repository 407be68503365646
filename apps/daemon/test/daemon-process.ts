import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real `evergreend` (bin/evergreend.mjs over the built dist) and
 * other Node children in per-test sandboxes, and talks to what they serve
 * with plain `node:net` clients. Every child, temp dir and listener made
 * here is remembered; {@link cleanUp} (each test file's `afterEach`) kills
 * the children still running by pid, closes the listeners and removes the
 * dirs, pass or fail.
 */

/** The daemon's entry point. */
export const DAEMON_BIN = fileURLToPath(new URL('../bin/evergreend.mjs', import.meta.url));
/** The bound on any wait for a child (a line, an exit, a reply). */
const WAIT_MS = 15_000;

const children = new Set<ChildHandle>();
const tempDirs = new Set<string>();
const listeners = new Set<Server>();

/** A private temp dir with the daemon's XDG dirs in it, and the paths the daemon will use there. */
export interface Sandbox {
  dir: string;
  /** The child's environment: XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_RUNTIME_DIR and HOME inside `dir`. */
  env: NodeJS.ProcessEnv;
  /** The control socket passed with --socket. */
  socket: string;
  /** `<socket>.lock`. */
  lockFile: string;
  /** The default state dir (`$XDG_STATE_HOME/evergreen`). */
  stateDir: string;
  /** `<stateDir>/state.json`. */
  stateFile: string;
  /** A config file path for --config (not written until `writeConfig`). */
  configFile: string;
  /** Writes `config` (an object as JSON, a string as it is) to `configFile`. */
  writeConfig(config: unknown): Promise<void>;
}

/** Makes a sandbox; removed by {@link cleanUp}. */
export async function createSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'evgd-'));
  tempDirs.add(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), XDG_RUNTIME_DIR: join(dir, 'run') };
  delete env.EVERGREEN_SOCKET;
  const socket = join(dir, 'run', 'control.sock');
  const stateDir = join(dir, 'state', 'evergreen');
  const configFile = join(dir, 'evergreend.json');
  return {
    dir,
    env,
    socket,
    lockFile: `${socket}.lock`,
    stateDir,
    stateFile: join(stateDir, 'state.json'),
    configFile,
    writeConfig: (config) => writeFile(configFile, typeof config === 'string' ? config : JSON.stringify(config, null, 2)),
  };
}

/** The pid a lock file (`<socket>.lock`, its `.break`) names: the number it starts with (a start time may follow), NaN for none. */
export async function lockOwner(file: string): Promise<number> {
  return Number.parseInt(await readFile(file, 'utf8'), 10);
}

/** How a child ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned Node child: its output as it comes, line by line, and its exit. */
export class ChildHandle {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  /** Complete stdout lines so far. */
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  readonly #child: ChildProcess;
  #exit: Exit | undefined;
  #partial = '';
  readonly #waiters = new Set<() => void>();

  /** Runs `command` (default: this Node) with `args`. */
  constructor(args: readonly string[], env: NodeJS.ProcessEnv, command = process.execPath) {
    // A process group of its own, so a teardown can kill what it started too
    // (workers with a blocked event loop never notice their primary is gone).
    this.#child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (this.#child.pid === undefined) throw new Error(`Cannot spawn ${command} ${args.join(' ')}: no pid`);
    this.pid = this.#child.pid;
    children.add(this);
    this.#child.stdout!.setEncoding('utf8').on('data', (text: string) => this.#onStdout(text));
    this.#child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.#wake();
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        children.delete(this);
        this.#wake();
        resolve(this.#exit);
      });
    });
  }

  /** Whether it has exited. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Sends `signal` to the child's pid (nothing once it has exited). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** SIGKILL to the child's whole process group: it and every process it started that is still in it. */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // The group is empty already.
    }
  }

  /**
   * Resolves the first stdout line (past or future) for which `match` returns
   * a value; rejects, with the output so far, when the child exits first or
   * `timeoutMs` passes.
   */
  waitForLine<T>(what: string, match: (line: string) => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      let checked = 0;
      const check = (): void => {
        for (; checked < this.lines.length; checked += 1) {
          const found = match(this.lines[checked]!);
          if (found !== undefined) return done(() => resolve(found));
        }
        if (!this.running) done(() => reject(this.#failure(`exited (${JSON.stringify(this.#exit)}) before ${what}`)));
      };
      const timer = setTimeout(() => done(() => reject(this.#failure(`no ${what} within ${timeoutMs} ms`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        settle();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Resolves the exit, or rejects after `timeoutMs` (the child is then killed by cleanUp). */
  waitForExit(timeoutMs = WAIT_MS): Promise<Exit> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#failure(`no exit within ${timeoutMs} ms`)), timeoutMs);
      void this.exited.then((exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
  }

  #onStdout(text: string): void {
    this.stdout += text;
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop()!;
    this.lines.push(...parts);
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #failure(what: string): Error {
    return new Error(`node (pid ${this.pid}) ${what}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`);
  }
}

/** A pino record of the daemon's log. */
export type LogRecord = Record<string, unknown> & { msg: string; level: number };

/** A running (or finished) `evergreend`. */
export class DaemonProcess extends ChildHandle {
  /** Resolves the first log record with message `msg` (and, if given, matching `where`). */
  waitForLog(msg: string, where: (record: LogRecord) => boolean = () => true, timeoutMs = WAIT_MS): Promise<LogRecord> {
    return this.waitForLine(`log "${msg}"`, (line) => {
      const record = parseRecord(line);
      return record !== undefined && record.msg === msg && where(record) ? record : undefined;
    }, timeoutMs);
  }

  /** Waits for "evergreend started" and the control socket; resolves the bound server URIs, in config order. */
  async started(): Promise<string[]> {
    const record = await this.waitForLog('evergreend started');
    await this.waitForLog('control socket listening');
    return record.servers as string[];
  }
}

function parseRecord(line: string): LogRecord | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && 'msg' in value ? (value as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `evergreend` in `sandbox` with `--socket <sandbox.socket>` and `args`. */
export function startDaemon(sandbox: Sandbox, args: readonly string[] = []): DaemonProcess {
  return new DaemonProcess([DAEMON_BIN, '--socket', sandbox.socket, ...args], sandbox.env);
}

/** Runs `evergreend` with exactly `args` to its exit (bounded); resolves its exit and output. */
export async function runDaemon(sandbox: Sandbox, args: readonly string[]): Promise<Exit & { stdout: string; stderr: string }> {
  const daemon = new DaemonProcess([DAEMON_BIN, ...args], sandbox.env);
  const exit = await daemon.waitForExit();
  return { ...exit, stdout: daemon.stdout, stderr: daemon.stderr };
}

/** Starts `node <script> ...args` with the sandbox's environment. */
export function startNode(sandbox: Sandbox, script: string, args: readonly string[] = []): ChildHandle {
  return new ChildHandle([script, ...args], sandbox.env);
}

/** Kills every child still running (SIGKILL by pid, then waits for it), closes every listener and removes every sandbox. */
export async function cleanUp(): Promise<void> {
  const running = [...children];
  for (const child of running) child.killGroup();
  await Promise.all(running.map((child) => child.exited));
  const open = [...listeners];
  listeners.clear();
  await Promise.all(open.map((server) => new Promise((resolve) => server.close(resolve))));
  const dirs = [...tempDirs];
  tempDirs.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * Holds 127.0.0.1:`port` (0: one the OS picks) in this process, closing each
 * connection at once, until {@link cleanUp}; resolves the port, or rejects
 * with the listen error (EADDRINUSE when it is taken).
 */
export async function holdPort(port = 0): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  server.listen({ host: '127.0.0.1', port });
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  listeners.add(server);
  return (server.address() as AddressInfo).port;
}

/** Where a client connects: a TCP port on 127.0.0.1, or a Unix socket path. */
export type Target = { port: number } | { path: string };

/** The target of a daemon URI: `tcp://127.0.0.1:PORT` or `pipe:///path`. */
export function targetOf(uri: string): Target {
  const url = new URL(uri);
  if (url.protocol === 'tcp:') return { port: Number(url.port) };
  if (url.protocol === 'pipe:') return { path: decodeURIComponent(url.pathname) };
  throw new Error(`Cannot connect to "${uri}": not a tcp or pipe URI`);
}

/** A connected client that sends and reads back in steps (a held connection). */
export interface Client {
  socket: Socket;
  /** Writes `data` and resolves the next `data.length` bytes received. */
  roundTrip(data: Buffer | string): Promise<Buffer>;
  /** Resolves every byte received until the peer's end (bounded). */
  rest(): Promise<Buffer>;
  close(): void;
}

/** Connects to `target` (bounded); rejects with the connect error (its `code`, e.g. ECONNREFUSED). */
export function connectTo(target: Target, timeoutMs = WAIT_MS): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...('port' in target ? { host: '127.0.0.1', port: target.port } : { path: target.path }), allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`Cannot connect to ${JSON.stringify(target)}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(client(socket));
    });
  });
}

function client(socket: Socket): Client {
  let received = Buffer.alloc(0);
  let ended = false;
  let wake: () => void = () => {};
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('close', () => {
    ended = true;
    wake();
  });
  const take = (what: string, ready: () => number | undefined): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Cannot read ${what}: got ${received.length} bytes in ${WAIT_MS} ms`)), WAIT_MS);
      wake = () => {
        const count = ready();
        if (count === undefined) return;
        clearTimeout(timer);
        const out = received.subarray(0, count);
        received = received.subarray(count);
        resolve(out);
      };
      wake();
    });
  return {
    socket,
    roundTrip(data) {
      const bytes = Buffer.from(data);
      socket.write(bytes);
      return take(`${bytes.length} bytes back`, () => (received.length >= bytes.length ? bytes.length : ended ? received.length : undefined));
    },
    rest() {
      return take('to the end', () => (ended ? received.length : undefined));
    },
    close: () => socket.destroy(),
  };
}

/** Connects, sends `text`, half-closes and resolves everything received until the peer ends. */
export async function exchange(target: Target, text: string): Promise<string> {
  const conn = await connectTo(target);
  try {
    conn.socket.end(text);
    return (await conn.rest()).toString();
  } finally {
    conn.close();
  }
}

/** The error code of a connect to `target` that fails (e.g. ECONNREFUSED, ENOENT), or 'connected'. */
export async function connectOutcome(target: Target): Promise<string> {
  try {
    (await connectTo(target)).close();
    return 'connected';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
