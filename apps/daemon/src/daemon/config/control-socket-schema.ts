import { z } from 'zod';
import { CONTROL_LEVELS } from '../../protocol/control-level.js';

/** The most control sockets besides the admin one: a few levels, each for a few groups, is plenty. */
export const MAX_CONTROL_SOCKETS = 16;

/** Permission bits as an octal string: `"0660"` or `"660"` (no setuid, setgid or sticky bit). */
const MODE = /^0?[0-7]{3}$/;
/** A group name as `groupadd` takes it, or a numeric group id. */
const GROUP = /^([A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|[0-9]{1,10})$/;

/**
 * One entry of the config's `control.sockets`: a control socket besides the
 * admin one, at `path`, whose clients may call what `level` allows. Its file
 * gets `mode` (an octal string such as `"0660"`) and `group` (a name or a
 * number; default the daemon's group) before anyone can connect; its
 * directory must be the daemon user's and writable by nobody else.
 */
export const controlSocketSchema = z
  .strictObject({
    path: z.string().startsWith('/', 'expected an absolute path').describe('The socket path (absolute)'),
    level: z.enum(CONTROL_LEVELS).describe('What its clients may call: user (read), operator (also pause/resume, close connections, log level), admin (everything)'),
    mode: z.string().regex(MODE, 'expected permission bits as an octal string such as "0660"').describe('Permission bits of the socket file, an octal string such as "0660" (connecting needs write permission)'),
    group: z.string().regex(GROUP, 'expected a group name or a numeric group id').optional().describe("The socket file's group, a name or a number (default: the daemon's group)"),
  })
  .describe('A control socket of its own level, mode and group');

/** A validated `control.sockets` entry. */
export type ControlSocketConfig = z.output<typeof controlSocketSchema>;
