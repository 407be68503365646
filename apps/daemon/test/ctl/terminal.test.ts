import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers.js';
import type { ServerInfo } from '../../src/protocol/results.js';
import { ctlJson, startDaemon } from './ctl-helpers.js';

/** What these tests use of @evergreen/tty's PtySession (packages/tty/test/pty-session.ts). */
interface Pty extends AsyncDisposable {
  expect(text: string): Promise<string>;
  type(data: string): Promise<void>;
  resize(rows: number, cols: number): Promise<void>;
  modes(): Promise<{ icanon: boolean; echo: boolean; isig: boolean }>;
  kill(signal: NodeJS.Signals): Promise<void>;
  exit(): Promise<{ code: number | null; signal: string | null }>;
}

/**
 * The pty driver of @evergreen/tty's tests (python3's pty module), the same
 * real terminals; loaded by URL because it lies outside this package's
 * sources (vitest compiles it all the same).
 */
const { PtySession } = (await import(new URL('../../../../packages/tty/test/pty-session.ts', import.meta.url).href)) as {
  PtySession: { start(fixture: string, args: string[], ptys?: { fds: number[]; rows?: number; cols?: number }[]): Promise<Pty> };
};

/** PtySession starts programs relative to packages/tty/test/fixtures: this is evergreenctl's bin from there. */
const CTL_FROM_PTY_FIXTURES = '../../../../apps/daemon/bin/evergreenctl.mjs';
const COOKED = { icanon: true, echo: true, isig: true };
const RAW = { icanon: false, echo: false, isig: false };
const ALTERNATE_SCREEN = '\u001b[?1049h';
const MAIN_SCREEN = '\u001b[?1049l';
const SHOW_CURSOR = '\u001b[?25h';
const TIMEOUT_MS = 120_000;

async function startTop(socket: string): Promise<Pty> {
  const pty = await PtySession.start(CTL_FROM_PTY_FIXTURES, ['--socket', socket, 'top'], [{ fds: [0, 1, 2], rows: 24, cols: 100 }]);
  onCleanup(() => pty[Symbol.asyncDispose]());
  return pty;
}

describe('evergreenctl top under a real terminal', () => {
  it('shows the servers full-screen, redraws on resize, and q restores the terminal', async () => {
    const daemon = await startDaemon([
      { name: 'alpha', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } },
      { name: 'beta', listen: 'tcp://127.0.0.1:0', handler: { type: 'discard' } },
    ]);
    const pty = await startTop(daemon.socket);
    await pty.expect(ALTERNATE_SCREEN);
    const screen = await pty.expect('100x24');
    expect(screen).toMatch(/alpha +listening +tcp:\/\/127\.0\.0\.1:\d+ +echo/);
    expect(screen).toMatch(/beta +listening +tcp:\/\/127\.0\.0\.1:\d+ +discard/);
    expect(await pty.modes()).toEqual(RAW);

    await pty.resize(30, 120);
    await pty.expect('120x30');
    await pty.type('q');
    await pty.expect(MAIN_SCREEN);
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
    expect(await pty.modes()).toEqual(COOKED);
  }, TIMEOUT_MS);

  it('shows bytes/s from the stats of each second', async () => {
    const daemon = await startDaemon([{ name: 'busy', listen: 'tcp://127.0.0.1:0', handler: { type: 'discard' } }]);
    const [busy] = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    const port = Number(/:(\d+)$/.exec(busy!.address!)![1]);
    const pty = await startTop(daemon.socket);
    await pty.expect('100x24');
    // A connection that keeps sending: its server's IN/s is above zero on a later refresh.
    const sender = connect({ host: '127.0.0.1', port });
    onCleanup(() => sender.destroy());
    await once(sender, 'connect');
    const pump = setInterval(() => sender.write(Buffer.alloc(64 * 1024)), 50);
    onCleanup(() => clearInterval(pump));
    await pty.expect('iB/s'); // KiB/s or MiB/s: never the "0 B/s" of an idle server
    await pty.type('q');
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
  }, TIMEOUT_MS);

  it('SIGTERM ends it with 143 and the terminal restored', async () => {
    const daemon = await startDaemon();
    const pty = await startTop(daemon.socket);
    await pty.expect('100x24');
    await pty.kill('SIGTERM');
    await pty.expect(SHOW_CURSOR);
    expect(await pty.exit()).toEqual({ code: 143, signal: null });
    expect(await pty.modes()).toEqual(COOKED);
  }, TIMEOUT_MS);

  it('the daemon going away ends it with 3 and a message on the main screen, the terminal restored', async () => {
    const daemon = await startDaemon();
    const pty = await startTop(daemon.socket);
    await pty.expect('100x24');
    process.kill(daemon.pid, 'SIGKILL');
    await pty.expect(MAIN_SCREEN);
    await pty.expect('Cannot go on showing top: the daemon went away');
    expect(await pty.exit()).toEqual({ code: 3, signal: null });
    expect(await pty.modes()).toEqual(COOKED);
  }, TIMEOUT_MS);
});

describe('evergreenctl connect under a real terminal', () => {
  it('sends typed lines, prints the echo, and ends on ^D with the terminal cooked', async () => {
    const server = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const pty = await PtySession.start(CTL_FROM_PTY_FIXTURES, ['connect', `tcp://127.0.0.1:${port}`]);
    onCleanup(() => pty[Symbol.asyncDispose]());
    await pty.type('marco\r');
    // The terminal echoes the typed line, then the server's echo follows.
    await pty.expect('marco\r\n');
    await pty.expect('marco');
    await pty.type('\u0004');
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
    expect(await pty.modes()).toEqual(COOKED);
  }, TIMEOUT_MS);
});
