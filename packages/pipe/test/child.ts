import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

/** Absolute path of a fixture script in test/fixtures. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** Spawns a child; `using` it kills it (SIGKILL) if it is still running. */
export function spawnChild(command: string, args: string[], options: SpawnOptions): ChildProcess & Disposable {
  const child = spawn(command, args, options);
  return Object.assign(child, {
    [Symbol.dispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  });
}

/** Everything `stream` gives until it ends, as text. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** Resolves the first line `stream` gives (the child's "ready" signal). */
export async function firstLine(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
  }
  throw new Error(`Gave up waiting for a line: the stream ended after "${text}"`);
}

/** Resolves the exit code and signal once `child` has exited. */
export async function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}
