export { TTYStream } from './tty-stream.js';
export type { TTYStreamOptions, ResizesOptions } from './tty-stream.js';
export { StdinStream, StdoutStream, StderrStream } from './stdio-streams.js';
export { TTYError } from './tty-error.js';
export type { WinSize } from './window-resizes.js';
