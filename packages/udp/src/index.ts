export { UDPEndpoint, DEFAULT_MAX_BATCH_DATAGRAMS } from './udp-endpoint.js';
export type { UDPEndpointOptions, UDPEndpointStats, ReceiveOptions, ReceiveBatchOptions, BatchOptions } from './udp-endpoint.js';
export type { UDPSocketOptions } from './udp-socket-options.js';
export { UDPError } from './udp-error.js';
export { DatagramQueue, DEFAULT_MAX_QUEUED_DATAGRAMS, DEFAULT_MAX_QUEUED_BYTES } from './datagram-queue.js';
export type { DatagramQueueOptions } from './datagram-queue.js';
export type { Datagram } from './datagram.js';
export { transport } from './transport.js';
export type { UDPTransport } from './transport.js';
