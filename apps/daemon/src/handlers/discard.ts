import type { StreamConnection } from '@evergreen/stream-core';
import type { DatagramHandler } from './handler.js';
import { RELAY_CHUNK_BYTES } from './relay.js';

/** Discard (RFC 863): bytes are read and dropped until the peer ends; nothing is sent. */
export async function discardStream(conn: StreamConnection): Promise<void> {
  while ((await conn.readBytes(RELAY_CHUNK_BYTES, { partial: true })).length > 0);
}

/** Discard for datagrams: each datagram is counted and dropped. */
export const discardDatagrams: DatagramHandler = {
  datagram: () => {},
  sessionClosed: () => {},
};
