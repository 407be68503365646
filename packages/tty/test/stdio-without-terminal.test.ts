import { execFile, spawn, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ENOTTY } from '@evergreen/errno';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'evergreen-tty-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Runs a fixture with `stdio`, feeding `input` to a piped stdin; resolves its exit code and what it wrote. */
async function runFixture(name: string, args: string[], stdio: StdioOptions, input?: string[]) {
  const child = spawn(process.execPath, [fixture(name), ...args], { stdio });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  for (const piece of input ?? []) child.stdin?.write(piece);
  child.stdin?.end();
  const [code] = await once(child, 'close');
  return { code, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
}

/** Length and SHA-256 of a large output: compared without printing megabytes. */
function digest(text: string): { bytes: number; sha256: string } {
  return { bytes: Buffer.byteLength(text, 'latin1'), sha256: createHash('sha256').update(text, 'latin1').digest('hex') };
}

/** What stdout-order.mjs writes. */
function expectedOrderOutput(): string {
  const lines = Array.from({ length: 50 }, (_, i) => `ours ${i}\nconsole ${i}\n`).join('');
  const payload = Array.from({ length: 4 * 1024 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
  return `${payload}\n${lines}DONE\n`;
}

describe('the std streams without a terminal', () => {
  it('StdinStream reads lines from a piped stdin (a socket pair), records split across writes', async () => {
    const result = await runFixture('lines.mjs', [], ['pipe', 'pipe', 'inherit'], ['one\ntw', 'o\nthr', 'ee\n']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('LINE:"one\\n"\nLINE:"two\\n"\nLINE:"three\\n"\nEND isTTY=false,false\n');
  });

  it('StdinStream and StdoutStream work inside a shell pipeline (pipes on both sides)', async () => {
    const script = `printf 'a\\nb\\n' | "${process.execPath}" "${fixture('lines.mjs')}" | cat`;
    const { stdout } = await run('sh', ['-c', script]);
    expect(stdout).toBe('LINE:"a\\n"\nLINE:"b\\n"\nEND isTTY=false,false\n');
  });

  it('StdinStream reads a regular file', async () => {
    const path = join(directory, 'input.txt');
    writeFileSync(path, 'first\nsecond\n');
    const fd = openSync(path, 'r');
    try {
      const result = await runFixture('lines.mjs', [], [fd, 'pipe', 'inherit']);
      expect(result.stdout).toBe('LINE:"first\\n"\nLINE:"second\\n"\nEND isTTY=false,false\n');
    } finally {
      closeSync(fd);
    }
  });

  it('StdoutStream over a pipe shares it with console.log, in order, and flush() delivers a large payload', async () => {
    const script = `"${process.execPath}" "${fixture('stdout-order.mjs')}" flush | cat`;
    const { stdout } = await run('sh', ['-c', script], { maxBuffer: 8 * 1024 * 1024 });
    expect(digest(stdout)).toEqual(digest(expectedOrderOutput()));
  });

  it('StdoutStream over a file writes synchronously: nothing is lost when the program exits at once', async () => {
    const path = join(directory, 'output.txt');
    const fd = openSync(path, 'w');
    try {
      const result = await runFixture('stdout-order.mjs', [], ['ignore', fd, 'inherit']);
      expect(result.code).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(digest(readFileSync(path, 'latin1'))).toEqual(digest(expectedOrderOutput()));
  });

  it('winsize, setRawMode and resizes() on pipes raise TTYError ENOTTY', async () => {
    const result = await runFixture('stdio-report.mjs', [], ['pipe', 'pipe', 'pipe']);
    const enotty = { name: 'TTYError', code: 'ENOTTY', errno: ENOTTY, isTTYError: true };
    const expected = { isTTY: false, winsize: enotty, setRawMode: enotty, resizes: enotty };
    expect(JSON.parse(result.stderr)).toEqual({ stdin: expected, stdout: expected });
  });
});
