export { PipeClient } from './pipe-client.js';
export type { PipeClientOptions, PipeConnectOptions } from './pipe-client.js';
export { PipeServer } from './pipe-server.js';
export type { PipeServerOptions, PipeBindOptions } from './pipe-server.js';
export { PipeConnection } from './pipe-connection.js';
export type { PipeConnectionOptions } from './pipe-connection.js';
export { PipeStream } from './pipe-stream.js';
export type { PipeStreamOptions } from './pipe-stream.js';
export { PipeError } from './pipe-error.js';
export { transport } from './transport.js';
export type { PipeTransport } from './transport.js';
export { DEFAULT_SOCKET_MODE } from './socket-file.js';
export { listenPipe, checkPipeListen, checkBindPath } from './listen-pipe.js';
export type { ListenPipeOptions } from './listen-pipe.js';
export {
  pipePathKind,
  checkPipePath,
  MAX_UNIX_PATH_BYTES,
  MAX_ABSTRACT_NAME_BYTES,
  MAX_WINDOWS_PIPE_NAME_CHARS,
} from './pipe-path.js';
export type { PipePathKind } from './pipe-path.js';
