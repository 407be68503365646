import type { StreamConnection } from '@evergreen/stream-core';
import type { DatagramHandler } from './handler.js';
import { relay } from './relay.js';

/** Echo (RFC 862): every byte goes back to its sender; the peer's FIN is answered with ours. */
export function echoStream(conn: StreamConnection): Promise<void> {
  return relay(conn, conn);
}

/** Echo for datagrams: each datagram goes back to the address it came from. */
export const echoDatagrams: DatagramHandler = {
  datagram: (data, session) => session.reply(data),
  sessionClosed: () => {},
};
