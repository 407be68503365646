import type { ReadStream, WriteStream } from 'node:tty';

/**
 * The two calls of Node's TTY handle (`tty.ReadStream#_handle`, libuv's
 * `uv_tty_t`) this package makes. Node's public wrappers around them are no
 * use here: `ReadStream#setRawMode` reports a failure by emitting `'error'`
 * on the stream (which would end it), only `ReadStream` has it, and
 * `WriteStream#columns`/`rows` are refreshed only for `process.stdout` on
 * SIGWINCH. The handle answers both on either direction, synchronously, with
 * 0 or a negative errno.
 */
export interface TTYHandle {
  /** Fills `[columns, rows]`; returns 0 or a negative errno. */
  getWindowSize(size: [number, number]): number;
  /** libuv raw mode (`true`) or the mode saved before it (`false`); returns 0 or a negative errno. */
  setRawMode(raw: boolean): number;
}

/** The live handle of a Node tty stream, or `undefined` once it is closed. */
export function ttyHandle(stream: ReadStream | WriteStream): TTYHandle | undefined {
  const handle = (stream as unknown as { _handle: Partial<TTYHandle> | null })._handle;
  if (typeof handle?.getWindowSize !== 'function' || typeof handle.setRawMode !== 'function') return undefined;
  return handle as TTYHandle;
}
