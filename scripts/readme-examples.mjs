// Runs the code examples of the READMEs, so that every example a reader may
// copy is one CI has run. Each package's test/readme-examples.test.ts takes
// its README's blocks from here and says what each must print.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Languages whose blocks are examples to run (shell blocks are instructions, not examples). */
const RUNNABLE = new Set(['js', 'javascript', 'mjs']);
const FENCE = /^```(\S*)\s*$/;

/**
 * The runnable (JavaScript) fenced blocks of a Markdown file, in order, with
 * the line each starts on. Throws when a fence is never closed.
 */
export function readmeExamples(markdownPath) {
  const lines = readFileSync(markdownPath, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const start = i + 1;
    while (++i < lines.length && !/^```\s*$/.test(lines[i]));
    if (i >= lines.length) throw new Error(`Cannot read the examples of ${markdownPath}: the block at line ${start} is never closed`);
    if (RUNNABLE.has(open[1])) blocks.push({ line: start + 1, code: lines.slice(start, i).join('\n') + '\n' });
  }
  return blocks;
}

/**
 * Runs `code` as an ES module in a child process of the Node running the
 * tests, from `cwd` (so `@evergreen/*` resolve through the workspace, as a
 * user's install would), with `input` on its stdin and colours off. Resolves
 * how it ended and what it printed; never rejects for the example's own
 * failure. A child still running after `timeoutMs` is killed by its pid
 * (SIGKILL) and reported as killed (`signal: 'SIGKILL'`).
 */
export function runExample(code, { cwd, input = '', timeoutMs = 15_000 }) {
  return new Promise((resolve, reject) => {
    // Plain output whatever the test runner's terminal: console.log colours values when FORCE_COLOR is set.
    const { FORCE_COLOR, ...env } = process.env;
    const child = spawn(process.execPath, ['--input-type=module', '--eval', code], { cwd, env: { ...env, NO_COLOR: '1' }, stdio: 'pipe' });
    const stdout = [];
    const stderr = [];
    const timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
    child.stdin.on('error', () => {}); // an example that never reads its stdin may close it first
    child.stdin.end(input);
  });
}
