import { describe, expect, it } from 'vitest';
import { parseStartTime, processStartTime } from '../src/daemon/lock/process-start-time.js';

/** A /proc/<pid>/stat line with `comm` as its command name and 4476396 as its starttime (field 22). */
function statLine(comm: string): string {
  return `23843 (${comm}) R 23840 23840 16401 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 4476396 3133440 382 18446744073709551615 0 0\n`;
}

describe('the start time of a process, from /proc/<pid>/stat', () => {
  it('is field 22, counted after the last ")": a command name with spaces and parentheses does not shift it', () => {
    expect(parseStartTime(statLine('cat'))).toBe('4476396');
    expect(parseStartTime(statLine('a) b (c) 1 2 3'))).toBe('4476396');
  });

  it('is undefined for a line not in that form', () => {
    expect(parseStartTime('')).toBeUndefined();
    expect(parseStartTime('23843 cat R 1 2 3')).toBeUndefined();
    expect(parseStartTime('23843 (cat) R 1 2 3')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('is read for this process, and the same each time', async () => {
    const first = await processStartTime(process.pid);
    expect(first).toMatch(/^\d+$/);
    expect(await processStartTime(process.pid)).toBe(first);
  });
});
