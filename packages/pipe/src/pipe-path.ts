/**
 * What a pipe address names:
 * - `'unix'`: a Unix domain socket file (`/run/app.sock`, or relative to the
 *   working directory);
 * - `'abstract'`: a Linux abstract socket name (`'\0name'`), which has no
 *   file: no mode, no stale file, gone when its socket closes;
 * - `'windows'`: a Windows named pipe (`\\.\pipe\name` or `\\?\pipe\name`).
 */
export type PipePathKind = 'unix' | 'abstract' | 'windows';

/**
 * Bytes in `sockaddr_un.sun_path`: 108 on Linux, 104 on macOS and the BSDs.
 * A path needs one of them for its terminating NUL; an abstract name starts
 * with its NUL and may use them all.
 */
const SUN_PATH_BYTES: Readonly<Partial<Record<NodeJS.Platform, number>>> = { linux: 108, android: 108 };
const BSD_SUN_PATH_BYTES = 104;

/** Longest Unix socket path on this platform, in bytes (107 on Linux, 103 on macOS). */
export const MAX_UNIX_PATH_BYTES: number = maxUnixPathBytes(process.platform);

/** Longest Linux abstract name in bytes, its leading NUL included (the whole `sun_path`). */
export const MAX_ABSTRACT_NAME_BYTES: number = SUN_PATH_BYTES.linux!;

/** Longest Windows pipe name in characters, `\\.\pipe\` included (`CreateNamedPipe`'s limit). */
export const MAX_WINDOWS_PIPE_NAME_CHARS = 256;

const WINDOWS_PIPE_PREFIX = /^\\\\[.?]\\pipe\\/i;

/**
 * The kind of pipe address `path` is, from its shape alone (whatever the
 * platform). `action` starts the error messages.
 *
 * Errors: `TypeError` naming the problem when `path` is not a string, is
 * empty, holds a NUL byte anywhere but first, or is a prefix without a name
 * (`'\0'`, `\\.\pipe\`). Cost: a regular-expression test.
 */
export function pipePathKind(path: string, action = 'Cannot use pipe'): PipePathKind {
  if (typeof path !== 'string') throw new TypeError(`${action} ${String(path)}: expected a path string`);
  const shape = shapeOf(path);
  if (typeof shape !== 'string') throw new TypeError(`${action} ${describePipePath(path)}: ${shape.problem}`);
  return shape;
}

/** The kind of `path`, or what is wrong with its shape (`pipePathKind` without the throw). */
export function shapeOf(path: string): PipePathKind | { problem: string } {
  if (path === '') return { problem: 'the path is empty' };
  const kind: PipePathKind = path.startsWith('\0') ? 'abstract' : WINDOWS_PIPE_PREFIX.test(path) ? 'windows' : 'unix';
  const name = kind === 'abstract' ? path.slice(1) : kind === 'windows' ? path.replace(WINDOWS_PIPE_PREFIX, '') : path;
  if (name === '') return { problem: 'it has no name after the prefix' };
  if (name.includes('\0')) return { problem: 'only an abstract name may hold a NUL byte, and only first' };
  return kind;
}

/**
 * Checks that `path` can be bound or connected to on `platform` (default:
 * this one) and returns its kind. `action` starts the error messages
 * (`'Cannot bind pipe'`).
 *
 * Errors: as `pipePathKind`; `TypeError` for a kind this platform lacks
 * (abstract names exist only on Linux, Windows pipe names only on Windows,
 * and on Windows only pipe names exist); `RangeError` for a name longer than
 * the platform allows (`MAX_UNIX_PATH_BYTES`, …) — Node would truncate it
 * silently and bind or reach some other path.
 */
export function checkPipePath(path: string, action: string, platform: NodeJS.Platform = process.platform): PipePathKind {
  const kind = pipePathKind(path, action);
  const problem = platformProblem(kind, platform);
  if (problem !== undefined) throw new TypeError(`${action} ${describePipePath(path)}: ${problem}`);
  const { size, limit, unit } = measure(path, kind, platform);
  if (size > limit) throw new RangeError(`${action} ${describePipePath(path)}: it is ${size} ${unit} long, over the limit of ${limit}`);
  return kind;
}

/** `path` quoted for messages, an abstract name's NUL shown as `\0`. */
export function describePipePath(path: string): string {
  return `"${path.startsWith('\0') ? `\\0${path.slice(1)}` : path}"`;
}

/** The longest Unix socket path `platform` takes, in bytes (`MAX_UNIX_PATH_BYTES` for this one). */
export function maxUnixPathBytes(platform: NodeJS.Platform = process.platform): number {
  return sunPathBytes(platform) - 1;
}

function sunPathBytes(platform: NodeJS.Platform): number {
  return SUN_PATH_BYTES[platform] ?? BSD_SUN_PATH_BYTES;
}

function platformProblem(kind: PipePathKind, platform: NodeJS.Platform): string | undefined {
  const windows = platform === 'win32';
  if (kind === 'windows' && !windows) return 'Windows pipe names exist only on Windows';
  if (kind !== 'windows' && windows) return 'on Windows a pipe is named \\\\.\\pipe\\<name>';
  if (kind === 'abstract' && SUN_PATH_BYTES[platform] === undefined) return 'abstract names exist only on Linux';
  return undefined;
}

function measure(path: string, kind: PipePathKind, platform: NodeJS.Platform): { size: number; limit: number; unit: string } {
  if (kind === 'windows') return { size: path.length, limit: MAX_WINDOWS_PIPE_NAME_CHARS, unit: 'characters' };
  const size = Buffer.byteLength(path);
  return { size, limit: kind === 'abstract' ? sunPathBytes(platform) : maxUnixPathBytes(platform), unit: 'bytes' };
}
