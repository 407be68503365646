import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The daemon's command: bin/evergreend.mjs runs dist, which vitest's global setup builds. */
const EVERGREEND = fileURLToPath(new URL('../../bin/evergreend.mjs', import.meta.url));

/** How long a daemon may take to start, or a log line to come: a bound, not a speed assertion (the machine is shared). */
const WAIT_BOUND_MS = 20_000;

/** Log records kept per daemon (the oldest are dropped past this: the fuzz run logs thousands). */
const MAX_KEPT_RECORDS = 50_000;

/** One pino record of the daemon's stdout. */
export type LogRecord = Record<string, unknown> & { msg?: string };

/** A server entry of the daemon's config. */
export interface ServerEntry {
  name: string;
  listen: string;
  handler: Record<string, unknown>;
  [limit: string]: unknown;
}

/** How a test's daemon is started. */
export interface DaemonOptions {
  /** The daemon's limit on open files (`ulimit -n`, soft and hard), lowered before it starts; default: this process's. */
  openFileLimit?: number;
}

/** A daemon running in a child process for one test. */
export interface DaemonProcess {
  readonly pid: number;
  /** The control socket. */
  readonly socket: string;
  /** The bound address of each configured server, as "evergreend started" logs it (`tcp://127.0.0.1:PORT`). */
  readonly servers: readonly string[];
  /** Every log record so far (at most the last 50 000). */
  readonly records: readonly LogRecord[];
  /** The child's resident set size in bytes, read from /proc/<pid>/status (VmRSS). */
  rssBytes(): number;
  /** Resolves the first record (already logged or to come) that `matches`; rejects if the daemon exits or after a bound. */
  waitForRecord(matches: (record: LogRecord) => boolean): Promise<LogRecord>;
}

const running = new Set<ChildProcess>();
const directories: string[] = [];
const teardowns: (() => unknown)[] = [];

/** Runs `teardown` after the current test (before its daemons are killed), also when it failed. */
export function afterTest(teardown: () => unknown): void {
  teardowns.push(teardown);
}

// Every daemon a test started is killed by pid after it, also when it failed.
afterEach(async () => {
  for (const teardown of teardowns.splice(0).reverse()) await teardown();
  const children = [...running];
  running.clear();
  for (const child of children) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    const exited = once(child, 'exit');
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `node bin/evergreend.mjs` with a config of `servers` (default: one
 * echo server on tcp://127.0.0.1:0), in a private temp directory that holds
 * its config, state, control socket (`<dir>/ctl/control.sock`) and XDG
 * directories, with nothing of this process's environment but PATH (and,
 * with `openFileLimit`, under that `ulimit -n`). Resolves once it logs "control socket listening". The child is killed
 * (SIGKILL, by pid) and the directory removed after the test.
 */
export async function startDaemon(servers: ServerEntry[] = [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }], options: DaemonOptions = {}): Promise<DaemonProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'evergreen-daemon-'));
  directories.push(dir);
  const xdg = (name: string) => {
    const path = join(dir, name);
    mkdirSync(path, { mode: 0o700 });
    return path;
  };
  const config = join(dir, 'evergreend.json');
  writeFileSync(config, JSON.stringify({ servers, log: { level: 'info' } }));
  const socket = join(dir, 'ctl', 'control.sock');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: xdg('home'),
    XDG_CONFIG_HOME: xdg('config'),
    XDG_STATE_HOME: xdg('state-home'),
    XDG_RUNTIME_DIR: xdg('runtime'),
    XDG_DATA_HOME: xdg('data'),
    XDG_CACHE_HOME: xdg('cache'),
  };
  const command = [process.execPath, EVERGREEND, '--config', config, '--socket', socket, '--state-dir', join(dir, 'state')];
  // The shell lowers its own limit and becomes the daemon (exec): the pid stays the daemon's.
  const launcher = options.openFileLimit === undefined ? [] : ['/bin/sh', '-c', 'ulimit -n "$0" && exec "$@"', String(options.openFileLimit)];
  const [file, ...args] = [...launcher, ...command];
  const child = spawn(file!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  return new DaemonLogs(child, socket).ready();
}

/** Reads the child's log lines as they come (always: a daemon whose stdout is not read blocks on its sync writes). */
class DaemonLogs implements DaemonProcess {
  readonly #child: ChildProcess;
  readonly socket: string;
  readonly records: LogRecord[] = [];
  servers: readonly string[] = [];
  readonly #waiters = new Set<{ matches: (record: LogRecord) => boolean; resolve: (record: LogRecord) => void; reject: (error: Error) => void }>();
  #stderr = '';
  #exit: Error | undefined;

  constructor(child: ChildProcess, socket: string) {
    this.#child = child;
    this.socket = socket;
    createInterface({ input: child.stdout! }).on('line', (line) => this.#record(line));
    child.stderr!.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString()).slice(-4096)));
    child.on('exit', (code, signal) => {
      this.#exit = new Error(`Cannot wait for the daemon's log: it exited (code ${code}, signal ${signal}); stderr: ${this.#stderr}`);
      for (const waiter of this.#waiters) waiter.reject(this.#exit);
      this.#waiters.clear();
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (match === null) throw new Error(`Cannot read the daemon's RSS: no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]) * 1024;
  }

  waitForRecord(matches: (record: LogRecord) => boolean): Promise<LogRecord> {
    const found = this.records.find(matches);
    if (found !== undefined) return Promise.resolve(found);
    if (this.#exit !== undefined) return Promise.reject(this.#exit);
    return new Promise((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (record: LogRecord) => {
          clearTimeout(timer);
          resolve(record);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`Cannot find the awaited log record: none in ${WAIT_BOUND_MS} ms`));
      }, WAIT_BOUND_MS);
      this.#waiters.add(waiter);
    });
  }

  async ready(): Promise<this> {
    const started = await this.waitForRecord((record) => record.msg === 'evergreend started');
    this.servers = started.servers as string[];
    await this.waitForRecord((record) => record.msg === 'control socket listening');
    return this;
  }

  #record(line: string): void {
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      record = { msg: line };
    }
    this.records.push(record);
    if (this.records.length > MAX_KEPT_RECORDS) this.records.splice(0, this.records.length - MAX_KEPT_RECORDS);
    for (const waiter of this.#waiters) {
      if (!waiter.matches(record)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(record);
    }
  }
}
