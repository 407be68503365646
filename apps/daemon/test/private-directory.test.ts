import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDirectory } from '../src/daemon/control/private-directory.js';
import { onCleanup, startServer } from './helpers.js';

function scratch(): string {
  const root = mkdtempSync(join(tmpdir(), 'evergreen-private-'));
  onCleanup(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

describe('ensurePrivateDirectory', () => {
  it('creates a missing directory, parents included, with mode 0700', async () => {
    const dir = join(scratch(), 'a', 'b');
    await ensurePrivateDirectory(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('creates only the directory itself with the policy mode: missing parents get the usual one', async () => {
    const root = scratch();
    const previous = process.umask(0o022);
    try {
      await ensurePrivateDirectory(join(root, 'p', 'admin'));
      await ensurePrivateDirectory(join(root, 'p', 'shared'), 'shared');
    } finally {
      process.umask(previous);
    }
    expect(statSync(join(root, 'p')).mode & 0o777).toBe(0o755);
    expect(statSync(join(root, 'p', 'admin')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'p', 'shared')).mode & 0o777).toBe(0o755);
  });

  it('shared: takes a directory others may enter (0755, 0711) and refuses one group or others may write to', async () => {
    const root = scratch();
    for (const mode of [0o755, 0o711, 0o700]) {
      const dir = join(root, mode.toString(8));
      mkdirSync(dir);
      chmodSync(dir, mode);
      await expect(ensurePrivateDirectory(dir, 'shared')).resolves.toBeUndefined();
    }
    for (const mode of [0o775, 0o757, 0o1777]) {
      const dir = join(root, mode.toString(8));
      mkdirSync(dir);
      chmodSync(dir, mode);
      await expect(ensurePrivateDirectory(dir, 'shared')).rejects.toThrow(`its mode is 0${(mode & 0o777).toString(8)}, which lets other users write to it`);
    }
  });

  it('refuses a symlink to a private directory', async () => {
    const root = scratch();
    mkdirSync(join(root, 'real'), { mode: 0o700 });
    symlinkSync(join(root, 'real'), join(root, 'link'));
    await expect(ensurePrivateDirectory(join(root, 'link'))).rejects.toThrow(`Cannot use the control directory "${join(root, 'link')}": it is a symbolic link`);
  });

  it('refuses a directory group or others can enter, and leaves its mode alone', async () => {
    const dir = join(scratch(), 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o750);
    await expect(ensurePrivateDirectory(dir)).rejects.toThrow(/: its mode is 0750, which lets other users in \(expected 0700\)$/);
    expect(statSync(dir).mode & 0o777).toBe(0o750);
  });

  it('refuses a file', async () => {
    const file = join(scratch(), 'file');
    writeFileSync(file, '');
    await expect(ensurePrivateDirectory(file)).rejects.toThrow(/: it is not a directory$/);
  });

  if (process.getuid?.() === 0) {
    describe('as root', () => {
      it("refuses another user's directory", async () => {
        const dir = join(scratch(), 'theirs');
        mkdirSync(dir, { mode: 0o700 });
        chownSync(dir, 65_534, 65_534);
        await expect(ensurePrivateDirectory(dir)).rejects.toThrow(/: it belongs to user 65534, not to this user \(0\)$/);
      });
    });
  } else {
    describe('as a user without root', () => {
      it("refuses another user's directory (root's /)", async () => {
        await expect(ensurePrivateDirectory('/')).rejects.toThrow(/: it belongs to user 0, not to this user/);
      });
    });
  }

  it('makes ControlServer.listen reject before binding anything', async () => {
    const root = scratch();
    mkdirSync(join(root, 'open'), { mode: 0o700 });
    chmodSync(join(root, 'open'), 0o755);
    await expect(startServer({ path: join(root, 'open', 'control.sock') })).rejects.toThrow(/lets other users in/);
    expect(() => statSync(join(root, 'open', 'control.sock'))).toThrow(/ENOENT/);
  });
});
