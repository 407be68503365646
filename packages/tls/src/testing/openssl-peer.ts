import { spawn, type ChildProcess } from 'node:child_process';
import { until } from '@evergreen/stream-core/testing';

/**
 * `openssl s_client` / `s_server` as the peer nobody here wrote. Every
 * process started here is killed by pid in {@link killOpenSSL} (each test
 * file's `afterEach`), however the test ended.
 */

const processes: ChildProcess[] = [];

/** An `openssl` process and everything it printed so far (stdout and stderr). */
export interface OpenSSLProcess {
  child: ChildProcess;
  output(): string;
  exited(): boolean;
}

/** Starts `openssl args`. */
export function openssl(args: readonly string[]): OpenSSLProcess {
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  processes.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdin!.on('error', () => {});
  return { child, output: () => output, exited: () => child.exitCode !== null || child.signalCode !== null };
}

/** `openssl s_server -rev` (answers each line reversed) on 127.0.0.1, a free port; resolves its port. */
export async function sServer(args: readonly string[]): Promise<{ port: number; peer: OpenSSLProcess }> {
  const peer = openssl(['s_server', '-accept', '127.0.0.1:0', '-rev', ...args]);
  await until(() => /ACCEPT .*:(\d+)/.test(peer.output()) || peer.exited(), 's_server to listen');
  const port = /ACCEPT .*:(\d+)/.exec(peer.output())?.[1];
  if (port === undefined) throw new Error(`openssl s_server did not start:\n${peer.output()}`);
  return { port: Number(port), peer };
}

/** Kills every openssl process still running, by pid. */
export function killOpenSSL(): void {
  for (const child of processes.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
