export { BaseStream, DEFAULT_COALESCE_BYTES, DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_BUFFER_SIZE, DEFAULT_READ_BUDGET } from './base-stream.js';
export type { BaseStreamOptions, ReadOptions, ReadBytesOptions, LimitedReadOptions, WriteData } from './base-stream.js';
export type { ReadTarget } from './read-request.js';
export { DuplexStream } from './duplex-stream.js';
export type { DuplexStreamOptions, SocketConnector } from './duplex-stream.js';
export { StreamServer, listenOn, DEFAULT_CLOSE_TIMEOUT_MS } from './stream-server.js';
export { HostPortServer } from './host-port-server.js';
export { MAX_TIMER_MS, timerDelay } from './limit-option.js';
export type { ConnectionHandler, StreamServerOptions, BindOptions, ServerCloseOptions } from './stream-server.js';
export { StreamConnection } from './stream-connection.js';
export { within } from './within.js';
export {
  StreamError,
  StreamClosedError,
  IncompleteReadError,
  LimitExceededError,
  StreamErrorFactory,
  systemErrorFields,
} from './errors.js';
export type { StreamErrorOptions, StreamErrorClass } from './errors.js';
export { ReadBuffer } from './read-buffer.js';
export { toHostPort, toSocketAddress, formatHostPort } from './socket-address.js';
export type { SocketAddress, AddressInput, HostPort } from './socket-address.js';
export { parseHostPortURI, formatHostPortURI } from './host-port-uri.js';
export { socketName, listenerName, localSide } from './socket-name.js';
export type { SocketSide } from './socket-name.js';
export type { Delimiter } from './delimiter.js';
export type { Transport, TransportBase, StreamTransport, TransportServerOptions, TransportConnectOptions, DatagramTransport, DatagramSocket, DatagramBindOptions, StreamConnectOptions } from './transport.js';
