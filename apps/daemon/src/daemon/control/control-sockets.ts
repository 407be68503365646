import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { checkBindPath } from '@evergreen/pipe';
import type { ControlSocketConfig } from '../config/control-socket-schema.js';
import type { ControlSocketOptions } from './control-server.js';
import { checkPrivateDirectory } from './private-directory.js';

const run = promisify(execFile);

/** How long asking the system for a group may take (a slow directory service must not hang the start). */
const GROUP_LOOKUP_TIMEOUT_MS = 5000;

/**
 * The config's `control.sockets` as `ControlServer` takes them: each mode
 * read as octal, each group name resolved to its id (a number is taken as
 * it is). Node has no `getgrnam`, so a name is asked of `getent group`,
 * which asks what the system asks (files, LDAP, systemd's dynamic users).
 *
 * Errors: rejects with an `Error` naming the socket and the group when the
 * group does not exist or cannot be looked up (no `getent`: give a number).
 * Cost: one `getent` child per named group.
 */
export async function resolveControlSockets(sockets: readonly ControlSocketConfig[] = []): Promise<ControlSocketOptions[]> {
  return Promise.all(
    sockets.map(async (socket) => ({
      path: socket.path,
      level: socket.level,
      mode: Number.parseInt(socket.mode, 8),
      ...(socket.group === undefined ? {} : { group: await groupId(socket.group, socket.path) }),
    })),
  );
}

/**
 * For `evergreend --check`: what a start checks of the sockets before it
 * binds them — each path fits, each directory is fit (or would be created,
 * mode 0755), each group exists. Resolves one line per socket; rejects as
 * the start would.
 */
export async function checkControlSockets(sockets: readonly ControlSocketConfig[] = []): Promise<string[]> {
  const resolved = await resolveControlSockets(sockets);
  const lines: string[] = [];
  for (const socket of resolved) {
    checkBindPath(socket.path);
    const exists = await checkPrivateDirectory(dirname(socket.path), 'shared');
    const group = socket.group === undefined ? '' : `, group ${socket.group}`;
    lines.push(`control socket: ${socket.path} (level ${socket.level}, mode 0${socket.mode.toString(8)}${group})${exists ? '' : ' (its directory would be created, mode 0755)'}`);
  }
  return lines;
}

async function groupId(group: string, path: string): Promise<number> {
  if (/^[0-9]+$/.test(group)) return Number(group);
  let stdout: string;
  try {
    ({ stdout } = await run('getent', ['group', group], { timeout: GROUP_LOOKUP_TIMEOUT_MS }));
  } catch (error) {
    const { code } = error as { code?: string | number };
    const reason = code === 'ENOENT' ? 'getent is not installed; give the group id instead' : code === 2 ? 'no such group' : (error as Error).message;
    throw new Error(`Cannot use group "${group}" for the control socket "${path}": ${reason}`, { cause: error });
  }
  const gid = Number(stdout.split(':')[2]);
  if (!Number.isInteger(gid)) throw new Error(`Cannot use group "${group}" for the control socket "${path}": getent answered "${stdout.trim()}"`);
  return gid;
}
