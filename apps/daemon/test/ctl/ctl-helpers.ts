import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from '../helpers.js';

/** The evergreenctl and evergreend programs under test (their bins run dist, built by the global setup). */
export const CTL_BIN = fileURLToPath(new URL('../../bin/evergreenctl.mjs', import.meta.url));
export const DAEMON_BIN = fileURLToPath(new URL('../../bin/evergreend.mjs', import.meta.url));

/** The bound of one CLI run: a run past it is killed and the test fails with what it printed. */
const RUN_TIMEOUT_MS = 60_000;

/** How a CLI run ended. */
export interface CtlRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A fresh directory for this test, removed after it. */
export function tempDir(prefix = 'evergreenctl-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A listening node:net server (half-open allowed), closed after the test with every connection it still has. */
export async function listen(handler: (socket: Socket) => void, where: string | { host: string; port: number }): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket.once('close', () => sockets.delete(socket)));
    handler(socket);
  });
  server.listen(where);
  await once(server, 'listening');
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return server;
}

/** Kills `child` by pid after the test unless it has exited. */
export function killAfterTest(child: ChildProcess): void {
  onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = once(child, 'exit');
    process.kill(child.pid, 'SIGKILL');
    await exited;
  });
}

/** Starts `evergreenctl args` with `stdin` written to it (then its end); killed by pid after the test. */
export function startCtl(args: readonly string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; done: Promise<CtlRun> } {
  const env = { ...process.env, EVERGREEN_SOCKET: '', ...options.env };
  const child = spawn(process.execPath, [CTL_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  killAfterTest(child);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const done = once(child, 'close').then(([code, signal]) => {
    clearTimeout(timer);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
  });
  return { child, done };
}

/** Runs `evergreenctl args` to its end; stdin is empty unless given. */
export function ctl(args: readonly string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CtlRun> {
  return startCtl(args, { stdin: '', ...options }).done;
}

/** Runs `evergreenctl args --json` and parses its stdout; fails with stderr when it exits non-zero. */
export async function ctlJson<T>(args: readonly string[]): Promise<T> {
  const run = await ctl([...args, '--json']);
  if (run.code !== 0) throw new Error(`evergreenctl ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** A daemon started from the real bin, isolated in its own directories. */
export interface RunningDaemon {
  child: ChildProcess;
  pid: number;
  socket: string;
  dir: string;
  configFile: string;
  /** `--socket SOCKET`, to put before a command's arguments. */
  flag: string[];
  /** Every line the daemon logged so far. */
  log: string[];
  /** Its exit code once it has exited (or the signal's name). */
  exited: Promise<number | string | null>;
}

/**
 * Starts evergreend with a config of `servers` (default: one echo server
 * on a free loopback port), its XDG directories, state and socket under a
 * temp dir, and resolves once its control socket listens. Killed by pid
 * after the test.
 */
export async function startDaemon(servers: object[] = [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }]): Promise<RunningDaemon> {
  const dir = tempDir('evergreend-');
  const configFile = join(dir, 'evergreend.json');
  writeFileSync(configFile, JSON.stringify({ servers }));
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  const socket = join(dir, 'run', 'control.sock');
  const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_STATE_HOME: join(dir, 'state'), XDG_RUNTIME_DIR: join(dir, 'run'), EVERGREEN_SOCKET: '' };
  const child = spawn(process.execPath, [DAEMON_BIN, '--config', configFile, '--socket', socket, '--state-dir', join(dir, 'state')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  killAfterTest(child);
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? (signal as string | null));
  const log: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      log.push(line);
      if (line.includes('control socket listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`evergreend exited ${code} before listening:\n${log.join('\n')}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  try {
    await ready;
  } finally {
    clearTimeout(timer);
  }
  return { child, pid: child.pid!, socket, dir, configFile, flag: ['--socket', socket], log, exited };
}
