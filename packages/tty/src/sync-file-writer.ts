import { closeSync, writeSync } from 'node:fs';
import { Duplex, type DuplexOptions } from 'node:stream';

/** Node's documented `readable: false` Duplex option, which @types/node 20 does not declare. */
const WRITE_ONLY = { readable: false } as DuplexOptions;

/**
 * A write-only `Duplex` that writes a regular file (or a character device such
 * as `/dev/null`) synchronously, as Node's own `process.stdout` does for
 * files: a file never blocks on a peer, and a synchronous write is on disk
 * (in the page cache) before `write()` returns, so nothing is lost when the
 * process exits or crashes, and output interleaves in order with
 * `console.log` writing the same descriptor.
 *
 * Errors: a failed `write(2)` (`ENOSPC`, `EBADF`, …) is emitted as `'error'`.
 * Cost: one `write(2)` per chunk on the calling thread (more only if the OS
 * takes part of a chunk).
 */
export class SyncFileWriter extends Duplex {
  readonly #fd: number;
  readonly #owned: boolean;

  /** `owned`: close `fd` when the writer is destroyed. */
  constructor(fd: number, owned: boolean) {
    super(WRITE_ONLY);
    this.#fd = fd;
    this.#owned = owned;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(this.#fd, chunk, offset);
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    try {
      if (this.#owned) closeSync(this.#fd);
    } catch (closeError) {
      error ??= closeError as Error;
    }
    callback(error);
  }
}
