import { lstat, mkdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** The permission bits group and others must not have on the control directory. */
const GROUP_OTHER_BITS = 0o077;

/**
 * Makes sure `dir` is a directory only this user can enter: creates it
 * (mode 0700, parents too) when missing, then checks it with `lstat` (a
 * symlink is never followed): a real directory, owned by this process's
 * user, without any group or other permission bit.
 *
 * Errors: rejects with an `Error` saying why the directory cannot be used
 * (a symlink, not a directory, another user's, group/other-accessible), or
 * with the system error of `lstat`/`mkdir` (`EACCES`, …). It never changes
 * an existing directory's mode or owner: a wrong one is for the operator
 * to fix.
 * Cost: one or two `lstat`s and at most one `mkdir`.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  let stats = await lstatIfExists(dir);
  if (stats === undefined) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    stats = await lstat(dir);
  }
  const problem = privateDirectoryProblem(stats);
  if (problem !== undefined) throw new Error(`Cannot use the control directory "${dir}": ${problem}`);
}

/**
 * Checks `dir` as {@link ensurePrivateDirectory} would, creating and
 * changing nothing: resolves false when it is missing (it would be created,
 * mode 0700), true when it exists and is fit; rejects as that function does
 * when it exists and is not. For `evergreend --check`. Cost: one `lstat`.
 */
export async function checkPrivateDirectory(dir: string): Promise<boolean> {
  const stats = await lstatIfExists(dir);
  if (stats === undefined) return false;
  const problem = privateDirectoryProblem(stats);
  if (problem !== undefined) throw new Error(`Cannot use the control directory "${dir}": ${problem}`);
  return true;
}

function privateDirectoryProblem(stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) return 'it is a symbolic link';
  if (!stats.isDirectory()) return 'it is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return `it belongs to user ${stats.uid}, not to this user (${uid})`;
  if ((stats.mode & GROUP_OTHER_BITS) !== 0) {
    return `its mode is 0${(stats.mode & 0o777).toString(8)}, which lets other users in (expected 0700)`;
  }
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
