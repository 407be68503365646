import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../logging/logger.js';

/** How long the config's directory must be quiet before a change is acted on (a ConfigMap update is several renames). */
export const DEFAULT_DEBOUNCE_MS = 500;

/**
 * Calls `onChange` when the config file's content changes, for
 * `--watch-config`. It watches the file's directory, not the file: a
 * Kubernetes ConfigMap volume updates by swapping a symlink (`..data`) to a
 * new directory, so the file the daemon read is replaced, never written,
 * and a watch on it would see nothing more. Events are debounced, then the
 * file is read and hashed: only a new content calls `onChange` (an editor's
 * temporary files, a touch, or a swap to the same content do not). A file
 * that cannot be read is logged and waited for.
 *
 * Never throws after `start`; a watch that fails (the directory removed) is
 * logged and ends. Cost: one inotify watch, a read and a hash per quiet
 * period after a change.
 */
export class ConfigWatcher {
  readonly #file: string;
  readonly #onChange: () => void;
  readonly #log: Logger;
  readonly #debounceMs: number;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #digest: string | undefined;

  constructor(file: string, onChange: () => void, log: Logger, debounceMs = DEFAULT_DEBOUNCE_MS) {
    this.#file = file;
    this.#onChange = onChange;
    this.#log = log;
    this.#debounceMs = debounceMs;
  }

  /** Reads the file as it is now (the content already in force) and starts watching. Rejects when the directory cannot be watched. */
  async start(): Promise<void> {
    this.#digest = await this.#read();
    this.#watcher = watch(dirname(this.#file), { persistent: false }, () => this.#changed());
    this.#watcher.on('error', (error) => {
      this.#log.error({ err: error, file: this.#file }, 'config watch failed: changes are no longer picked up (SIGHUP still reloads)');
      this.close();
    });
    this.#log.info({ file: this.#file, directory: dirname(this.#file) }, `watching the config's directory for changes to ${basename(this.#file)}`);
  }

  /** Stops watching; a change waiting out its debounce is dropped. Idempotent. */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #changed(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#settle(), this.#debounceMs);
  }

  async #settle(): Promise<void> {
    const digest = await this.#read();
    if (digest === undefined || digest === this.#digest || this.#watcher === undefined) return;
    this.#digest = digest;
    this.#onChange();
  }

  /** The content's hash, or undefined (logged) when the file cannot be read now. */
  async #read(): Promise<string | undefined> {
    try {
      return createHash('sha256').update(await readFile(this.#file)).digest('hex');
    } catch (error) {
      this.#log.warn({ err: error, file: this.#file }, 'cannot read the watched config: waiting for the next change');
      return undefined;
    }
  }
}
