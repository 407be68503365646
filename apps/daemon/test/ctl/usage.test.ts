import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { controlMethod } from '../../src/daemon/control/control-method.js';
import { MAX_ARRAY_LENGTH, MAX_STRING_BYTES } from '../../src/protocol/limits.js';
import { PROTOCOL_VERSION } from '../../src/protocol/methods.js';
import { VERSION } from '../../src/version.js';
import { startServer } from '../helpers.js';
import { ctl, tempDir } from './ctl-helpers.js';

describe('evergreenctl without a daemon', () => {
  it('exits 3 and says no daemon answers and how to start one', async () => {
    const socket = join(tempDir(), 'none.sock');
    const run = await ctl(['--socket', socket, 'status']);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`evergreenctl: Cannot reach the daemon: no daemon answers at "${socket}"; start one with \`npx evergreend\`\n`);
  });

  it('finds the socket in EVERGREEN_SOCKET when --socket is not given', async () => {
    const socket = join(tempDir(), 'from-env.sock');
    const run = await ctl(['servers'], { env: { EVERGREEN_SOCKET: socket } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`no daemon answers at "${socket}"`);
  });
});

/** `count` distinct IPv4 addresses, comma-separated, as one --allow/--deny value. */
function addressList(count: number): string {
  return Array.from({ length: count }, (_, n) => `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`).join(',');
}

describe('evergreenctl usage errors exit 2 before contacting the daemon', () => {
  const overLongList = addressList(MAX_ARRAY_LENGTH + 1);
  const overLongText = 'x'.repeat(MAX_STRING_BYTES + 1);
  const cases: [string, string[], RegExp][] = [
    ['an --allow list longer than the protocol carries', ['servers', 'add', 'x', 'tcp://127.0.0.1:0', '--allow', overLongList], /allow \(--allow\): got \["10\.0\.0\.0",.{0,80}; expected at most 4096 entries, the control protocol's array limit/],
    ['a --deny list longer than the protocol carries', ['servers', 'set', 'echo', '--deny', overLongList], /deny \(--deny\): got .*; expected at most 4096 entries/],
    ['a connection id longer than the protocol carries', ['conns', 'kill', overLongText], /id \(ID\): got "x{10}.*; expected at most 65536 bytes \(UTF-8\), the control protocol's string limit/],
    ['a server name far too long to send', ['servers', 'resume', overLongText], /name \(NAME\): got "x{10}.*; expected a name of 1-63 letters/],
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
    ['an unknown flag', ['status', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['servers', 'add', 'x'], /missing required argument 'listen'/],
    ['a number flag that is no number, naming path, value and expected', ['servers', 'add', 'x', 'tcp://127.0.0.1:0', '--max-connections', 'many'], /maxConnections \(--max-connections\): got "many"; .*expected number/],
    ['a flag that does not fit the handler', ['servers', 'add', 'x', 'tcp://127.0.0.1:0', '--target', 'tcp://127.0.0.1:1'], /handler\.target \(--target\): got "tcp:\/\/127\.0\.0\.1:1"; Unrecognized key: "target"/],
    ['a bad CIDR in a list', ['servers', 'set', 'x', '--allow', '10.0.0.0/8,nope'], /allow\[1\] \(--allow\): got "nope"; expected an address or CIDR block/],
    ['servers set without a limit', ['servers', 'set', 'x'], /no limit given/],
    ['a pause mode that does not exist', ['servers', 'pause', 'x', '--mode', 'sleep'], /mode \(--mode\): got "sleep"; .*"unbind"\|"refuse"/],
    ['a page limit out of range', ['conns', '--limit', '0'], /limit \(--limit\): got 0;/],
    ['a bad log level', ['log-level', 'loud'], /level \(LEVEL\): got "loud"/],
    ['logs without -f', ['logs'], /follow it with: evergreenctl logs -f/],
    ['top without a terminal', ['top'], /Cannot run top: stdin and stdout must be a terminal/],
  ];
  for (const [what, args, message] of cases) {
    it(`for ${what}`, async () => {
      const socket = join(tempDir(), 'none.sock');
      const run = await ctl(['--socket', socket, ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    });
  }

  it('prints help on --help for every command and exits 0', async () => {
    for (const args of [['--help'], ['servers', '--help'], ['servers', 'add', '--help'], ['conns', 'kill', '--help'], ['top', '--help'], ['connect', '--help']]) {
      const run = await ctl(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: evergreenctl /);
    }
  });
});

describe('evergreenctl and a daemon of another release', () => {
  const status = { name: 'evergreend', version: '9.9.9', pid: 1, node: 'v20', startedAt: 0, uptimeMs: 0, configFile: null, stateFile: '/s', logLevel: 'info', servers: { total: 0, listening: 0, paused: 0, stopping: 0 }, connections: 0, memory: { rss: 0, heapUsed: 0 } };
  const methods = { status: controlMethod(z.strictObject({}), () => status) };

  it('warns on stderr, never on stdout, when the protocol and version differ', async () => {
    const { path } = await startServer({ methods, info: { name: 'evergreend', version: '9.9.9', protocol: PROTOCOL_VERSION + 1 } });
    const run = await ctl(['--socket', path, 'status', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(status);
    expect(run.stderr).toContain(`warning: the daemon speaks control protocol ${PROTOCOL_VERSION + 1} and this evergreenctl ${PROTOCOL_VERSION}`);
    expect(run.stderr).toContain(`warning: evergreend is version 9.9.9 and this evergreenctl ${VERSION}`);
  });

  it('says nothing when both match', async () => {
    const { path } = await startServer({ methods, info: { name: 'evergreend', version: VERSION, protocol: PROTOCOL_VERSION } });
    const run = await ctl(['--socket', path, 'status']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('evergreend 9.9.9 (pid 1, node v20)');
  });

  it('exits 1 with the daemon\'s message when it refuses a call', async () => {
    const { path } = await startServer({ methods, info: { name: 'evergreend', version: VERSION, protocol: PROTOCOL_VERSION } });
    const run = await ctl(['--socket', path, 'stats']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('evergreenctl: Cannot call "stats": no such method\n');
  });
});
