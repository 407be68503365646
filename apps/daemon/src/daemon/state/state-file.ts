import { open, readFile, readdir, rename, mkdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { serverSpecSchema } from '../../protocol/server-spec.js';
import { ConfigError } from '../config/config-file.js';
import { describeIssues, validationIssues } from '../../protocol/validation-issue.js';

/** The state file's format version. */
export const STATE_VERSION = 1;

/** A change made while running: the spec now in force (null: removed), and the config's spec it replaced (JSON, null: none). */
const runtimeChangeSchema = z.strictObject({
  spec: serverSpecSchema.nullable(),
  configBase: z.string().nullable(),
});

/** A record keyed by server names: any other key (one no server may have) is refused, naming it. */
function byServerName<V extends z.ZodType>(value: V) {
  return z.record(serverSpecSchema.shape.name, value, { error: (issue) => (issue.code === 'invalid_key' ? 'expected a server name as the key' : undefined) });
}

/** What the daemon keeps across restarts: runtime changes to servers, and which servers are paused. */
export const stateSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  runtime: byServerName(runtimeChangeSchema).default({}),
  paused: byServerName(z.enum(['unbind', 'refuse'])).default({}),
});

export type DaemonState = z.output<typeof stateSchema>;
export type RuntimeChange = z.output<typeof runtimeChangeSchema>;

/** A state with nothing in it. */
export function emptyState(): DaemonState {
  return { version: STATE_VERSION, runtime: {}, paused: {} };
}

/**
 * The state file (`<stateDir>/state.json`). Writes are atomic and durable —
 * a temp file beside it is written and fsync-ed, renamed over the file, and
 * the directory fsync-ed — so a crash at any instant, `kill -9` included,
 * leaves either the previous state or the new one, complete. Writes are
 * serialized: each `save` resolves once its state (or a later one) is on disk.
 */
export class StateFile {
  readonly path: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.path = join(stateDir, 'state.json');
  }

  /**
   * Reads the state; a missing file is an empty state. Temp files a crash
   * left behind are removed. Throws {@link ConfigError} when the file is
   * not a valid state (it is left as it is, for the operator to look at).
   */
  async load(): Promise<DaemonState> {
    await this.#removeLeftovers();
    return this.read();
  }

  /**
   * Reads the state as `load` does, touching nothing: temp files are left
   * alone (a running daemon may be writing one). For `evergreend --check`.
   */
  async read(): Promise<DaemonState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new ConfigError(`Cannot read state "${this.path}": ${(error as Error).message}`, [], { cause: error });
    }
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`Cannot parse state "${this.path}": ${(error as Error).message} (move it away to start from the config alone)`, [], { cause: error });
    }
    const result = stateSchema.safeParse(input);
    if (result.success) return result.data;
    const issues = validationIssues(result.error, input);
    throw new ConfigError(`Invalid state "${this.path}" (move it away to start from the config alone):\n${describeIssues(issues)}`, issues);
  }

  /**
   * Writes `state` atomically; rejects with the file system's error (no
   * space, a file size limit, …), and the previous state then stays whole
   * (a failed temp file is removed).
   */
  save(state: DaemonState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const write = this.#writing.then(() => this.#write(text));
    this.#writing = write.catch(() => {});
    return write;
  }

  async #write(text: string): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.tmp-${process.pid}`;
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      // Half a state is of no use to anyone: the file in force is the previous one.
      await unlink(temp).catch(() => {});
      throw error;
    }
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  async #removeLeftovers(): Promise<void> {
    const prefix = `${basename(this.path)}.tmp-`;
    const names = await readdir(dirname(this.path)).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => name.startsWith(prefix)).map((name) => unlink(join(dirname(this.path), name)).catch(() => {})));
  }
}
