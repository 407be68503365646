import { TTYStream, type TTYStreamOptions } from './tty-stream.js';

/**
 * The process's standard input (fd 0), read-only, whatever it is: a terminal
 * (`setRawMode`, `winsize` work), a pipe or socket (reads Node's own
 * `process.stdin` handle: libuv allows one per descriptor), or a file.
 * Reading starts at once, and an open stdin keeps the process alive until it
 * ends or the stream is closed, as `process.stdin.on('data')` does. Use one
 * per process, and don't also read `process.stdin`: two readers of one
 * terminal split its input. Errors and costs as `TTYStream`.
 */
export class StdinStream extends TTYStream {
  constructor(options?: TTYStreamOptions) {
    super(0, true, options);
  }
}

/**
 * The process's standard output (fd 1), write-only, whatever it is: a
 * terminal (written synchronously, as Node does), a pipe or socket (Node's own
 * `process.stdout` handle, so `console.log` goes on working and stays in
 * order), or a file (written synchronously, as Node does). `write()` returning
 * false means bytes wait in memory: `await flush()` before `process.exit()`.
 * Errors and costs as `TTYStream`.
 */
export class StdoutStream extends TTYStream {
  constructor(options?: TTYStreamOptions) {
    super(1, false, options);
  }
}

/** The process's standard error (fd 2), write-only; everything as `StdoutStream`. */
export class StderrStream extends TTYStream {
  constructor(options?: TTYStreamOptions) {
    super(2, false, options);
  }
}
