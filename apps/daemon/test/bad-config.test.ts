import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SERVERS } from '../src/protocol/limits.js';
import { cleanUp, createSandbox, holdPort, runDaemon, type Sandbox } from './daemon-process.js';

afterEach(cleanUp);

/** A saved state with one runtime server, written as an older daemon would have. */
const SAVED_STATE = `${JSON.stringify({ version: 1, runtime: { kept: { spec: { name: 'kept', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }, configBase: null } }, paused: {} }, null, 2)}\n`;

const echo = (extra: Record<string, unknown> = {}) => ({ name: 'a', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, ...extra });

interface Refusal {
  code: number | null;
  stdout: string;
  stderr: string;
  sandbox: Sandbox;
}

/** Writes `config` and the saved state, runs the daemon on them, and checks the state file is byte-identical afterwards. */
async function refuse(config: unknown): Promise<Refusal> {
  const sandbox = await createSandbox();
  await sandbox.writeConfig(config);
  await mkdir(sandbox.stateDir, { recursive: true });
  await writeFile(sandbox.stateFile, SAVED_STATE);
  const result = await runDaemon(sandbox, ['--config', sandbox.configFile, '--socket', sandbox.socket]);
  expect(await readFile(sandbox.stateFile, 'utf8')).toBe(SAVED_STATE);
  expect(existsSync(sandbox.lockFile)).toBe(false);
  expect(existsSync(sandbox.socket)).toBe(false);
  expect(result.stdout).not.toContain('evergreend started');
  return { ...result, sandbox };
}

/** The one message on stderr, without its prefix and final newline; fails when there is more than one. */
function message(refusal: Refusal): string {
  expect(refusal.stderr).toMatch(/^evergreend: [^]*\n$/);
  expect(refusal.stderr.match(/evergreend: /g)).toHaveLength(1);
  return refusal.stderr.slice('evergreend: '.length, -1);
}

describe('a bad config is refused with one clear message, exit 2, and the saved state untouched', () => {
  it('a value out of range names its path, the value and the bound', async () => {
    const refusal = await refuse({ servers: [echo({ maxConnections: -1 })] });
    expect(refusal.code).toBe(2);
    expect(message(refusal)).toBe(`Invalid config "${refusal.sandbox.configFile}":\nservers[0].maxConnections: got -1; maxConnections must be at least 1`);
  });

  it('an unknown handler type names its path, the value and the types there are', async () => {
    const refusal = await refuse({ servers: [echo({ handler: { type: 'reverse' } })] });
    expect(refusal.code).toBe(2);
    const text = message(refusal);
    expect(text).toContain(`Invalid config "${refusal.sandbox.configFile}":\nservers[0].handler.type: got "reverse"; `);
    for (const type of ['echo', 'discard', 'forward', 'module']) expect(text).toContain(`'${type}'`);
  });

  it('more servers than a daemon hosts names the bound', async () => {
    const refusal = await refuse({ servers: Array.from({ length: MAX_SERVERS + 1 }, (_, n) => echo({ name: `s${n}` })) });
    expect(refusal.code).toBe(2);
    expect(message(refusal)).toMatch(new RegExp(`^Invalid config ".*":\nservers: got .*; expected at most ${MAX_SERVERS} servers, the most a daemon hosts$`));
  });

  it('an unknown field names its path and says it is unknown', async () => {
    const refusal = await refuse({ servers: [echo({ maxConnection: 5 })] });
    expect(refusal.code).toBe(2);
    expect(message(refusal)).toBe(`Invalid config "${refusal.sandbox.configFile}":\nservers[0].maxConnection: got 5; Unrecognized key: "maxConnection"`);
  });

  it('a file that is not JSON names the file and the parse error', async () => {
    const refusal = await refuse('servers:\n  - name: a\n');
    expect(refusal.code).toBe(2);
    expect(message(refusal)).toMatch(new RegExp(`^Cannot parse config "${refusal.sandbox.configFile}": Unexpected token 's'.* is not valid JSON$`, 's'));
  });

  it('a transport package that is not installed names the package and the npm i that installs it', async () => {
    const refusal = await refuse({ transports: { foo: '@nonexistent/evergreen-foo' }, servers: [echo({ listen: 'foo://x' })] });
    expect(refusal.code).toBe(2);
    expect(message(refusal)).toBe('Cannot add server "a": Cannot use scheme "foo": the package "@nonexistent/evergreen-foo" is not installed (install it with: npm i @nonexistent/evergreen-foo)');
  });

  it('an address in use exits 1 naming the address', async () => {
    const uri = `tcp://127.0.0.1:${await holdPort()}`;
    const refusal = await refuse({ servers: [echo({ listen: uri })] });
    expect(refusal.code).toBe(1);
    expect(message(refusal)).toMatch(new RegExp(`^Cannot start server "a" on ${uri}: .*EADDRINUSE`));
  });
});
