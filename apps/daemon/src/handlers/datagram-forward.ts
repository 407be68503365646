import type { AddressInput, DatagramSocket, DatagramTransport } from '@evergreen/stream-core';
import { eachDatagram } from './each-datagram.js';
import type { DatagramHandler, DatagramSession, HandlerEnvironment } from './handler.js';

/**
 * A datagram handler that forwards each client's datagrams to `target` from
 * an upstream socket of that client's own (so the target's replies find their
 * way back), and relays the target's replies to the client.
 *
 * The upstream socket binds `bindAddress` (the listening host, port 0: a
 * server on loopback forwards to loopback targets). It lives as long as the
 * session: the host closes idle sessions and bounds their number. A datagram
 * that arrives while the session's socket is being bound waits for it; a
 * bind that fails drops that session's datagrams and ends the session.
 */
export async function forwardDatagrams(target: string, bindAddress: unknown, env: HandlerEnvironment): Promise<DatagramHandler> {
  const transport: DatagramTransport = await env.transports.datagramTransport(target);
  // The interface's datagram sockets take host/port addresses, as UDP's do.
  const address = transport.parse(target) as AddressInput;
  const upstreams = new WeakMap<DatagramSession, Promise<DatagramSocket>>();

  const open = (session: DatagramSession): Promise<DatagramSocket> => {
    const binding = transport.bind(bindAddress);
    upstreams.set(session, binding);
    binding.then((socket) => relayReplies(socket, session), () => {});
    return binding;
  };
  return {
    async datagram(data, session) {
      const upstream = await (upstreams.get(session) ?? open(session));
      if (!upstream.closed) await upstream.send(data, address);
    },
    sessionClosed(session) {
      upstreams.get(session)?.then((socket) => socket.close(), () => {});
      upstreams.delete(session);
    },
  };
}

/**
 * Sends every datagram `socket` receives back to the session's client, until
 * the socket closes. A failed receive (the socket goes on) is dropped like a
 * lost datagram: the handler has no log, and the session goes on.
 */
function relayReplies(socket: DatagramSocket, session: DatagramSession): Promise<void> {
  return eachDatagram(
    socket,
    async (data) => {
      session.touch();
      await session.reply(data).catch(() => {});
    },
    () => {},
  );
}
