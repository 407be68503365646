// The load clients' raw sockets: connected, then ended and awaited closed.
import { once } from 'node:events';

/** A raw socket of `transport` connected to `address` (resolves at 'connect'). */
export async function connectRawSocket(transport, address) {
  const socket = transport.connectRaw(address);
  await once(socket, 'connect');
  return socket;
}

/** Ends `socket` and waits until it is closed (the server closes its side on our FIN). */
export async function closeRawSocket(socket) {
  if (socket.destroyed) return;
  const closed = once(socket, 'close');
  socket.end();
  await closed;
}
