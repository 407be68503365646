/** The first descriptor systemd passes (`SD_LISTEN_FDS_START`): 0-2 are stdio. */
export const LISTEN_FDS_START = 3;

/** The most descriptors taken from `LISTEN_FDS`: more is a mistake, not a service. */
const MAX_LISTEN_FDS = 1024;

/**
 * Takes the sockets systemd (or `systemd-socket-activate`) passed in, as
 * `sd_listen_fds(1)` does: when `LISTEN_PID` is this process, descriptors
 * `3 .. 3 + LISTEN_FDS - 1`, named by the colon-separated `LISTEN_FDNAMES`
 * (systemd's "unknown" where a name is missing). Removes every `LISTEN_*`
 * variable from `env` either way, so no process spawned later (a handler
 * module's child) believes the sockets are its own.
 *
 * Resolves nothing and never throws: a malformed or foreign `LISTEN_FDS`
 * passes no socket (a listen URI naming one then fails with the reason).
 * Cost: a few string operations.
 */
export function takeListenFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): Map<number, string> {
  const { LISTEN_PID: listenPid, LISTEN_FDS: listenFds, LISTEN_FDNAMES: listenNames } = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  const passed = new Map<number, string>();
  if (listenPid !== String(pid) || listenFds === undefined || !/^\d{1,4}$/.test(listenFds)) return passed;
  const count = Math.min(Number(listenFds), MAX_LISTEN_FDS);
  const names = listenNames?.split(':') ?? [];
  for (let index = 0; index < count; index += 1) passed.set(LISTEN_FDS_START + index, names[index] || 'unknown');
  return passed;
}
