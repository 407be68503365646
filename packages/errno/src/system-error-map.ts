// As `require` gives it: the ES module face of node:util reads each of its
// exports, lazy ones included, and so loads worker_threads, parseArgs and
// the diff code with it (30-odd internal modules), a cost every importer of
// this package would pay for one function.
const { getSystemErrorMap } = process.getBuiltinModule('node:util');

/**
 * The table Node itself uses to name system errors: libuv's error list with
 * this platform's numbers (negative on Unix, libuv's own range on Windows).
 * Read once at load; Node never changes it while running.
 */
const SYSTEM_ERRORS: ReadonlyMap<number, readonly [name: string, message: string]> = getSystemErrorMap();

const byName = new Map<string, number>();
for (const [errno, [name]] of SYSTEM_ERRORS) byName.set(name, errno);

/**
 * `errorcode[errno]` is the error's name, as Node puts it in `err.code`
 * (`errorcode[EADDRINUSE] === 'EADDRINUSE'`). Frozen; unknown numbers are
 * simply absent (`undefined`).
 */
export const errorcode: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries([...SYSTEM_ERRORS].map(([errno, [name]]) => [errno, name])),
);

/**
 * The human message for an error number, as libuv words it
 * (`strerror(EADDRINUSE) === 'address already in use'`).
 * Never throws: an unknown number gives `'unknown error <n>'`.
 */
export function strerror(errno: number): string {
  return SYSTEM_ERRORS.get(errno)?.[1] ?? `unknown error ${errno}`;
}

/**
 * The number the running Node uses for a libuv error name, or `undefined`
 * when its libuv has no such error. Reaches every name Node reports, also
 * names newer than this package's constants (`findErrno('ENOEXEC')` is -8 on
 * Node 24 on Linux). Cost: one `Map` lookup.
 */
export function findErrno(name: string): number | undefined {
  return byName.get(name);
}

/**
 * As {@link findErrno}, for a name that must exist: throws a `RangeError`
 * naming it when the running Node's libuv does not know it. Cost: one `Map`
 * lookup.
 */
export function errnoOf(name: string): number {
  const errno = byName.get(name);
  if (errno === undefined) throw new RangeError(`Cannot look up errno "${name}": libuv has no such error on this Node`);
  return errno;
}
