import { describe, expect, it } from 'vitest';
import { PtySession } from './pty-session.js';

const RAW = { icanon: false, echo: false, isig: false };
const COOKED = { icanon: true, echo: true, isig: true };
/** stdio on one terminal, and a second terminal on fd 3 that Node itself never restores. */
const TWO_TERMINALS = [{ fds: [0, 1, 2] }, { fds: [3] }];

describe('StdinStream and StdoutStream under a real terminal', () => {
  it('readUntil reads a line typed into the terminal, echoed by the terminal as it is typed', async () => {
    await using pty = await PtySession.start('read-line.mjs', []);
    await pty.expect('READY');
    await pty.type('hello world\r');
    const output = await pty.expect('LINE:"hello world\\n"');
    expect(output).toContain('hello world\r\n');
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
  });

  it('in raw mode a single key arrives without Enter and is not echoed', async () => {
    await using pty = await PtySession.start('raw-key.mjs', []);
    await pty.expect('READY');
    expect(await pty.modes()).toEqual(RAW);
    await pty.type('q');
    const output = await pty.expect('KEY:71');
    expect(output).not.toContain('q');
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
    expect(await pty.modes()).toEqual(COOKED);
  });

  it('winsize is the terminal size, and resizes() yields the new size when the terminal is resized', async () => {
    await using pty = await PtySession.start('window-size.mjs', [], [{ fds: [0, 1, 2], rows: 40, cols: 100 }]);
    const size = JSON.stringify({ columns: 100, rows: 40 });
    await pty.expect(`SIZE:${size} ${size}`);
    await pty.expect('READY');
    await pty.resize(50, 120);
    await pty.expect(`RESIZE:${JSON.stringify({ columns: 120, rows: 50 })}`);
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
  });

  it("an aborted resizes() rejects with the signal's reason; closing the stream ends it", async () => {
    await using pty = await PtySession.start('window-size.mjs', []);
    await pty.expect('READY');
    await pty.resize(30, 90);
    await pty.expect('ABORTED:enough');
    await pty.expect('ENDED:{"done":true}');
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
  });
});

describe('the README example (examples/key-reader.mjs)', () => {
  it('shows each key, follows a resize, quits on q and leaves the terminal cooked', async () => {
    await using pty = await PtySession.start('../../examples/key-reader.mjs', [], [{ fds: [0, 1, 2], rows: 30, cols: 100 }]);
    await pty.expect('terminal 100x30');
    await pty.type('\u001b[A');
    await pty.expect('= 1b5b41');
    await pty.resize(40, 120);
    await pty.expect('resized to 120x40');
    await pty.type('q');
    expect(await pty.exit()).toEqual({ code: 0, signal: null });
    expect(await pty.modes()).toEqual(COOKED);
  });
});

describe('terminals left in raw mode are restored', () => {
  async function startRaw(how: string): Promise<PtySession> {
    const pty = await PtySession.start('raw-then-end.mjs', [how], TWO_TERMINALS);
    await pty.expect('READY');
    expect([await pty.modes(0), await pty.modes(1)]).toEqual([RAW, RAW]);
    return pty;
  }

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`after ${signal}, and the program still dies of ${signal}`, async () => {
      await using pty = await startRaw('wait');
      await pty.kill(signal);
      expect(await pty.exit()).toEqual({ code: null, signal });
      expect([await pty.modes(0), await pty.modes(1)]).toEqual([COOKED, COOKED]);
    });
  }

  it('after an uncaught exception, which still exits with code 1', async () => {
    await using pty = await startRaw('throw');
    await pty.type('x');
    expect(await pty.exit()).toEqual({ code: 1, signal: null });
    expect([await pty.modes(0), await pty.modes(1)]).toEqual([COOKED, COOKED]);
  });

  it('as soon as the streams are closed, while the program runs on', async () => {
    await using pty = await startRaw('close');
    await pty.type('x');
    await pty.expect('CLOSED');
    expect([await pty.modes(0), await pty.modes(1)]).toEqual([COOKED, COOKED]);
  });

  for (const how of ['own-handler', 'late-handler']) {
    it(`a program's own SIGTERM handler (${how}) decides: the terminal stays raw, and is restored at exit`, async () => {
      await using pty = await startRaw(how);
      await pty.kill('SIGTERM');
      await pty.expect('OWN HANDLER');
      expect([await pty.modes(0), await pty.modes(1)]).toEqual([RAW, RAW]);
      await pty.type('x');
      expect(await pty.exit()).toEqual({ code: 0, signal: null });
      expect([await pty.modes(0), await pty.modes(1)]).toEqual([COOKED, COOKED]);
    });
  }
});
