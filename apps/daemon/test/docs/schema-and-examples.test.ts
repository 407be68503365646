import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/daemon/config/config-json-schema.js';
import { Daemon, createLogger, parseConfig } from '../../src/index.js';
import { readmeExamples, runExample } from '../../../../scripts/readme-examples.mjs';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const temps: string[] = [];
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.shutdown(0);
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'evergreen-docs-'));
  temps.push(dir);
  return dir;
}

/** The ```js blocks of the package README, in order. */
function readmeCode(): string[] {
  return readmeExamples(join(root, 'README.md')).map((example) => example.code);
}

describe('the config JSON Schema', () => {
  it('the checked-in evergreend.schema.json is what the zod definitions generate (npm run schema refreshes it)', () => {
    const committed: unknown = JSON.parse(readFileSync(join(root, 'evergreend.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });
});

describe('the README and its examples', () => {
  it('every config in the README validates: the first, and the TLS examples', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => JSON.parse(match[1]!) as unknown);
    const names = blocks.map((block, index) => parseConfig(block, `README block ${index}`).servers.map((server) => server.name));
    expect(names).toEqual([['echo', 'to-app'], ['api'], ['db-out'], ['db-in']]);
  });

  it('examples/evergreend.json passes evergreend --check, which lists every server', async () => {
    const dir = tempDir();
    const { stdout } = await run(process.execPath, ['bin/evergreend.mjs', '--check', '--config', 'examples/evergreend.json', '--socket', join(dir, 'control.sock'), '--state-dir', dir], { cwd: root });
    for (const name of ['echo', 'to-app', 'shout', 'dns-relay']) expect(stdout).toContain(`${name}:`);
    expect(stdout).toContain('metrics: tcp://127.0.0.1:9464 (/metrics, /healthz, /readyz)');
  });

  it('the library example starts a daemon, adds an echo server on a free port and prints its address', async () => {
    const [, library] = readmeCode();
    expect(library).toContain('new Daemon(');
    const { stdout, stderr, exitCode } = await runExample(library!, { cwd: root, timeoutMs: 20_000 });
    expect({ stderr, exitCode }).toEqual({ stderr: '', exitCode: 0 });
    expect(stdout.trim()).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it('the module handler example (examples/shout-handler.mjs, the README block) greets and upper-cases each line', async () => {
    const [handlerBlock] = readmeCode();
    expect(readFileSync(join(root, 'examples/shout-handler.mjs'), 'utf8')).toContain(handlerBlock!.trim());
    const config = parseConfig({ servers: [{ name: 'shout', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: join(root, 'examples/shout-handler.mjs') } }] }, 'test');
    const daemon = new Daemon({ config, configFile: null, stateDir: tempDir(), log: createLogger('silent') });
    daemons.push(daemon);
    await daemon.start();
    const port = Number(new URL(daemon.server('shout').address!).port);
    const socket = connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.end('quiet please\n');
    await new Promise((resolve) => socket.on('close', resolve));
    expect(Buffer.concat(received).toString()).toMatch(/^hello shout-\d+, say something\nQUIET PLEASE\n$/);
  });
});
