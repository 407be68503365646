import { lstat, mkdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What a control socket's directory may be: `private` for the admin socket
 * (0700: nobody else may even look inside), `shared` for a socket of any
 * level with its own mode and group (others may traverse it to reach the
 * socket, but nobody but us may write to it: no one can replace the socket
 * or plant another beside it).
 */
export type DirectoryPolicy = 'private' | 'shared';

const POLICIES: Readonly<Record<DirectoryPolicy, { forbidden: number; createMode: number; expected: string }>> = {
  private: { forbidden: 0o077, createMode: 0o700, expected: 'which lets other users in (expected 0700)' },
  shared: { forbidden: 0o022, createMode: 0o755, expected: 'which lets other users write to it (expected no group or other write bit, such as 0755)' },
};

/**
 * Makes sure `dir` is a directory fit for a control socket under `policy`
 * (default `private`): creates it (mode 0700 private, 0755 shared; missing
 * parents with the usual mode, 0777 less the umask) when missing, then checks it with `lstat` (a symlink is never
 * followed): a real directory, owned by this process's user, without a
 * permission bit the policy forbids (private: any group or other bit;
 * shared: group or other write).
 *
 * Errors: rejects with an `Error` saying why the directory cannot be used
 * (a symlink, not a directory, another user's, too open), or with the
 * system error of `lstat`/`mkdir` (`EACCES`, …). It never changes an
 * existing directory's mode or owner: a wrong one is for the operator to fix.
 * Cost: one or two `lstat`s and at most one `mkdir`.
 */
export async function ensurePrivateDirectory(dir: string, policy: DirectoryPolicy = 'private'): Promise<void> {
  let stats = await lstatIfExists(dir);
  if (stats === undefined) {
    // Parents get the usual mode, only `dir` the policy's: a shared socket's
    // directory beside the admin one's must not sit in a parent made 0700.
    await mkdir(dirname(dir), { recursive: true });
    await mkdir(dir, { mode: POLICIES[policy].createMode });
    stats = await lstat(dir);
  }
  const problem = directoryProblem(stats, policy);
  if (problem !== undefined) throw new Error(`Cannot use the control directory "${dir}": ${problem}`);
}

/**
 * Checks `dir` as {@link ensurePrivateDirectory} would, creating and
 * changing nothing: resolves false when it is missing (it would be created),
 * true when it exists and is fit; rejects as that function does when it
 * exists and is not. For `evergreend --check`. Cost: one `lstat`.
 */
export async function checkPrivateDirectory(dir: string, policy: DirectoryPolicy = 'private'): Promise<boolean> {
  const stats = await lstatIfExists(dir);
  if (stats === undefined) return false;
  const problem = directoryProblem(stats, policy);
  if (problem !== undefined) throw new Error(`Cannot use the control directory "${dir}": ${problem}`);
  return true;
}

function directoryProblem(stats: Stats, policy: DirectoryPolicy): string | undefined {
  if (stats.isSymbolicLink()) return 'it is a symbolic link';
  if (!stats.isDirectory()) return 'it is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return `it belongs to user ${stats.uid}, not to this user (${uid})`;
  const { forbidden, expected } = POLICIES[policy];
  if ((stats.mode & forbidden) !== 0) return `its mode is 0${(stats.mode & 0o777).toString(8)}, ${expected}`;
  return undefined;
}

async function lstatIfExists(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
