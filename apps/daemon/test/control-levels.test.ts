import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ctl } from './ctl/ctl-helpers.js';
import { SpecClient, type Reply } from './control-daemon/spec-client.js';
import { cleanUp, createSandbox, runDaemon, startDaemon, type Sandbox } from './daemon-process.js';

/**
 * Control levels (HAProxy's `level user|operator|admin`): a real evergreend
 * with a socket of each level beside its admin socket, called with a client
 * written from docs/control.md. The expected levels are the issue's list,
 * written out here, not read from the daemon's own table.
 */

const clients = new Set<SpecClient>();
afterEach(async () => {
  for (const client of clients) client.close();
  clients.clear();
  await cleanUp();
});

/** What a `user` socket may call (and `operator`, `admin` too). */
const USER_METHODS = ['hello', 'status', 'servers.list', 'connections.list', 'stats', 'config.get', 'subscribe', 'unsubscribe'];
/** What an `operator` socket may call besides (`tls.reload` once the daemon has it). */
const OPERATOR_METHODS = ['servers.pause', 'servers.resume', 'connections.close', 'log.setLevel', 'tls.reload'];
const LEVELS = ['user', 'operator', 'admin'] as const;
type Level = (typeof LEVELS)[number];

/** The level the issue gives `method`: everything not listed is admin's. */
function requiredLevel(method: string): Level {
  if (USER_METHODS.includes(method)) return 'user';
  if (OPERATOR_METHODS.includes(method)) return 'operator';
  return 'admin';
}

function allows(level: Level, required: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(required);
}

const echo = { name: 'one', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };

/**
 * Starts evergreend with one socket of each level in `<sandbox>/levels`
 * (created by the daemon) besides its admin socket; resolves the paths by
 * level (`admin`: the one from --socket).
 */
async function startWithLevels(sandbox: Sandbox, modes: Partial<Record<Level, string>> = {}): Promise<Record<Level | 'extraAdmin', string>> {
  const dir = join(sandbox.dir, 'levels');
  const sockets = LEVELS.map((level) => ({ path: join(dir, `${level}.sock`), level, mode: modes[level] ?? '0660' }));
  await sandbox.writeConfig({ servers: [echo], control: { sockets } });
  await startDaemon(sandbox, ['--config', sandbox.configFile]).started();
  return { user: sockets[0]!.path, operator: sockets[1]!.path, extraAdmin: sockets[2]!.path, admin: sandbox.socket };
}

async function connect(path: string): Promise<SpecClient> {
  const client = await SpecClient.connect(path);
  clients.add(client);
  return client;
}

describe('control levels', () => {
  it('every method at every level: allowed ones reach their params check, the others get -32007 naming the level needed, and the connection goes on', async () => {
    const sandbox = await createSandbox();
    const paths = await startWithLevels(sandbox);
    const admin = await connect(paths.admin);
    const { methods } = (await admin.call('hello')) as { methods: string[] };
    expect(methods).toEqual(expect.arrayContaining([...USER_METHODS, 'servers.pause', 'servers.add', 'servers.update', 'servers.remove', 'config.reload', 'shutdown']));

    for (const level of LEVELS) {
      const client = await connect(level === 'admin' ? paths.extraAdmin : paths[level]);
      for (const method of methods) {
        // An option no method takes: an allowed call is refused by its params check (-32602) and changes nothing; hello takes any.
        const reply: Reply = await client.request(method, [{ 'not-an-option': true }]);
        const required = requiredLevel(method);
        const where = `${method} on the ${level} socket`;
        if (!allows(level, required)) {
          expect(reply.error, where).toEqual({
            code: -32007,
            message: `Cannot call "${method}": it needs a control socket of level ${required}, and this one is level ${level}`,
            data: { level, required },
          });
        } else if (method === 'hello') {
          expect(reply.error, where).toBeNull();
        } else {
          expect(reply.error?.code, where).toBe(-32602);
        }
      }
      // Refused calls left the connection serving.
      expect(await client.call('status')).toMatchObject({ name: 'evergreend' });
    }
  });

  it('subscribing: server and connection events from user up, log events from operator up, all or nothing', async () => {
    const sandbox = await createSandbox();
    const paths = await startWithLevels(sandbox);
    const user = await connect(paths.user);
    expect(await user.call('subscribe', { topics: ['servers', 'connections'] })).toEqual({ topics: ['servers', 'connections'] });
    const refused = await user.request('subscribe', [{ topics: ['log'] }]);
    expect(refused.error).toEqual({
      code: -32007,
      message: 'Cannot subscribe to "log": it needs a control socket of level operator, and this one is level user',
      data: { level: 'user', required: 'operator' },
    });
    expect(await user.call('unsubscribe', { topics: ['connections'] })).toEqual({ topics: ['servers'] });

    const operator = await connect(paths.operator);
    expect(await operator.call('subscribe', { topics: ['log', 'servers'] })).toEqual({ topics: ['log', 'servers'] });
    await operator.call('servers.pause', { name: 'one' });
    const paused = operator.notification((message) => message[1] === 'event' && (message[2] as { topic: string; msg?: string }[])[0]?.msg === 'server paused');
    await expect(within(paused, 15_000)).resolves.toBeDefined();
  });

  it('hello reports the level of the socket it is asked on', async () => {
    const sandbox = await createSandbox();
    const paths = await startWithLevels(sandbox);
    for (const [key, level] of [['admin', 'admin'], ['user', 'user'], ['operator', 'operator'], ['extraAdmin', 'admin']] as const) {
      expect(await (await connect(paths[key])).call('hello'), key).toMatchObject({ name: 'evergreend', level });
    }
  });

  it('a 0666 user socket answers status and refuses servers.add; the sockets have their modes and the directory is created 0755', async () => {
    const sandbox = await createSandbox();
    const paths = await startWithLevels(sandbox, { user: '0666', operator: '0640' });
    expect((await lstat(paths.user)).mode & 0o777).toBe(0o666);
    expect((await lstat(paths.operator)).mode & 0o777).toBe(0o640);
    expect((await lstat(paths.admin)).mode & 0o777).toBe(0o600);
    expect((await lstat(join(sandbox.dir, 'levels'))).mode & 0o777).toBe(0o755);

    const user = await connect(paths.user);
    expect(await user.call('status')).toMatchObject({ name: 'evergreend', servers: { total: 1 } });
    const add = await user.request('servers.add', [{ name: 'two', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } }]);
    expect(add.error).toMatchObject({ code: -32007, data: { level: 'user', required: 'admin' } });
    expect(await user.call('servers.list')).toHaveLength(1);
  });

  it.runIf(process.getuid?.() === 0)('as root: another user (nobody) may connect to the 0666 user socket but not to the 0600 admin one', async () => {
    const sandbox = await createSandbox();
    const paths = await startWithLevels(sandbox, { user: '0666' });
    // nobody must be able to traverse down to the sockets (mkdtemp made the sandbox 0700).
    await chmod(sandbox.dir, 0o711);
    await chmod(join(sandbox.dir, 'run'), 0o711);
    const tryAs = (path: string): string => {
      const script = 'import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1]); print("connected")\nexcept OSError as e: print(e.strerror)';
      const result = spawnSync('python3', ['-c', script, path], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 });
      return (result.stdout ?? '').trim() || String(result.error ?? result.stderr);
    };
    expect(tryAs(paths.user)).toBe('connected');
    expect(tryAs(paths.admin)).toBe('Permission denied');
  });

  it('gives a socket its group before anyone can connect (a name or a number)', async () => {
    const sandbox = await createSandbox();
    const group = otherGroup();
    const dir = join(sandbox.dir, 'levels');
    const sockets = [
      { path: join(dir, 'by-number.sock'), level: 'user', mode: '0660', group: String(group.gid) },
      ...(group.name === undefined ? [] : [{ path: join(dir, 'by-name.sock'), level: 'operator', mode: '0660', group: group.name }]),
    ];
    await sandbox.writeConfig({ servers: [echo], control: { sockets } });
    await startDaemon(sandbox, ['--config', sandbox.configFile]).started();
    for (const { path } of sockets) {
      const stats = await lstat(path);
      expect(stats.gid, path).toBe(group.gid);
      expect(stats.mode & 0o777, path).toBe(0o660);
    }
  });

  it('an unknown group stops the daemon with the reason (exit 1)', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [echo], control: { sockets: [{ path: join(sandbox.dir, 'levels', 'u.sock'), level: 'user', mode: '0660', group: 'no-such-group-evergreen' }] } });
    const run = await runDaemon(sandbox, ['--socket', sandbox.socket, '--config', sandbox.configFile]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot use group "no-such-group-evergreen" for the control socket "${join(sandbox.dir, 'levels', 'u.sock')}": no such group`);
  });

  it.each([
    ['group-writable (0775)', 'its mode is 0775, which lets other users write to it'],
    ['a symlink', 'it is a symbolic link'],
  ])('a socket directory that is %s stops the daemon and --check with the reason (exit 1), and leaves no socket behind', async (kind, reason) => {
    const sandbox = await createSandbox();
    const real = join(sandbox.dir, 'real');
    await mkdir(real, { mode: 0o755 });
    let dir = real;
    if (kind.startsWith('group')) await chmod(real, 0o775);
    else await symlink(real, (dir = join(sandbox.dir, 'link')));
    await sandbox.writeConfig({ servers: [echo], control: { sockets: [{ path: join(dir, 'user.sock'), level: 'user', mode: '0666' }] } });
    const flags = ['--socket', sandbox.socket, '--config', sandbox.configFile];
    const message = `evergreend: Cannot use the control directory "${dir}": ${reason}`;
    for (const args of [['--check', ...flags], flags]) {
      const run = await runDaemon(sandbox, args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
    // The admin socket bound before it is gone again: the daemon did not run.
    await expect(lstat(sandbox.socket)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a config with two sockets at one path, or a mode that is not octal permission bits (exit 2)', async () => {
    const sandbox = await createSandbox();
    const path = join(sandbox.dir, 'levels', 'a.sock');
    for (const [sockets, issue] of [
      [[{ path, level: 'user', mode: '0660' }, { path, level: 'operator', mode: '0660' }], `expected a path of its own: "${path}" is another control socket's`],
      [[{ path, level: 'user', mode: '4777' }], 'expected permission bits as an octal string such as "0660"'],
      [[{ path, level: 'root', mode: '0660' }], 'control.sockets[0].level'],
    ] as const) {
      await sandbox.writeConfig({ servers: [echo], control: { sockets } });
      const run = await runDaemon(sandbox, ['--check', '--socket', sandbox.socket, '--config', sandbox.configFile]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(issue);
    }
  });

  it('evergreenctl on a user socket: reads work, a change is refused with the level it needs and which socket to use (exit 1)', async () => {
    const sandbox = await createSandbox();
    const paths = await startWithLevels(sandbox, { user: '0666' });
    const status = await ctl(['--socket', paths.user, 'status']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    const remove = await ctl(['--socket', paths.user, 'servers', 'rm', 'one']);
    expect(remove.code).toBe(1);
    expect(remove.stderr).toBe(
      `evergreenctl: Cannot call "servers.remove": it needs a control socket of level admin, and this one is level user\n  socket: ${paths.user}\n(use a control socket of level admin: --socket PATH or EVERGREEN_SOCKET)\n`,
    );
    expect(await ctl(['--socket', paths.operator, 'servers', 'pause', 'one'])).toMatchObject({ code: 0 });
  });
});

/** `promise`, or a rejection once `ms` have passed (a bound on a wait, not a speed assertion). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`Cannot wait longer than ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A group id this process may give a file other than its own (any, as root), and its name when /etc/group has one. */
function otherGroup(): { gid: number; name?: string } {
  const own = process.getgid!();
  const candidates = process.getuid!() === 0 ? undefined : new Set(process.getgroups!());
  let groups: { name: string; gid: number }[] = [];
  try {
    groups = readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .filter((fields) => fields.length >= 3)
      .map((fields) => ({ name: fields[0]!, gid: Number(fields[2]) }));
  } catch {
    // No /etc/group: numbers only.
  }
  const named = groups.find(({ gid }) => gid !== own && (candidates === undefined || candidates.has(gid)));
  if (named !== undefined) return named;
  return { gid: candidates === undefined ? 4242 : [...candidates].find((gid) => gid !== own) ?? own };
}
