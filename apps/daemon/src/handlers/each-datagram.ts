import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DatagramSocket, SocketAddress } from '@evergreen/stream-core';

/**
 * Calls `onDatagram` for each datagram `socket` receives, in arrival order,
 * until the socket closes; resolves then. When `onDatagram` returns a
 * promise, the next receive waits for it. A receive that fails while the
 * socket stays open (a `recvmsg` error, which the socket reports to one
 * receive and then goes on) goes to `onError`, and receiving goes on: one
 * bad read does not end the loop; the next receive waits a turn of the
 * event loop. Never rejects unless a callback throws.
 * Cost: one `receive()` per datagram.
 */
export async function eachDatagram(
  socket: DatagramSocket,
  onDatagram: (data: Buffer, from: SocketAddress) => void | Promise<void>,
  onError: (error: unknown) => void,
): Promise<void> {
  while (!socket.closed) {
    let datagram: [Buffer, SocketAddress];
    try {
      datagram = await socket.receive();
    } catch (error) {
      if (socket.closed) return;
      onError(error);
      // A socket that kept failing at once would otherwise hold the event loop.
      await nextTurn();
      continue;
    }
    const handled = onDatagram(...datagram);
    if (handled !== undefined) await handled;
  }
}
