import type { SocketAddress } from '@evergreen/stream-core';

/**
 * One received datagram: its bytes and its sender. The sender can be passed
 * straight back to `send()`.
 */
export type Datagram = [data: Buffer, from: SocketAddress];
