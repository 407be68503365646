import { readFile } from 'node:fs/promises';

/** Field 22 of `/proc/<pid>/stat` (`starttime`), counted from field 3, the first after the command name. */
const START_TIME_AFTER_COMM = 22 - 3;

/**
 * When process `pid` started, as Linux reports it: field 22 of
 * `/proc/<pid>/stat` (`starttime`, clock ticks since boot), as a string of
 * digits. With its pid it names one process across pid reuse: a later
 * process given the same pid started later.
 *
 * Resolves `undefined` where it cannot be told — no `/proc` (not Linux, or
 * not mounted), the process is gone, or the file is not in the expected
 * form — so callers fall back to the pid alone. Never rejects.
 * Cost: one small file read.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStartTime(stat);
}

/**
 * The `starttime` field of a `/proc/<pid>/stat` line, or `undefined` when
 * the line is not in that form. The command name (field 2, in parentheses)
 * may itself hold spaces and parentheses, so the fields are counted from
 * after the *last* `)`. Never throws.
 */
export function parseStartTime(stat: string): string | undefined {
  const commEnd = stat.lastIndexOf(')');
  if (commEnd < 0) return undefined;
  const field = stat.slice(commEnd + 1).trim().split(/\s+/)[START_TIME_AFTER_COMM];
  return field !== undefined && /^\d+$/.test(field) ? field : undefined;
}
