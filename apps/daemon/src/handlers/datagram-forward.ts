import { isIP } from 'node:net';
import { toHostPort, type AddressInput, type DatagramSocket, type DatagramTransport, type HostPort, type SocketAddress } from '@evergreen/stream-core';
import { eachDatagram } from './each-datagram.js';
import type { DatagramHandler, DatagramSession, HandlerEnvironment } from './handler.js';
import { isPeer, resolvePeer } from './upstream-peer.js';

/** A session's upstream: its own socket, and the one address it sends to and hears from. */
interface Upstream {
  readonly socket: DatagramSocket;
  readonly target: SocketAddress;
}

/**
 * A datagram handler that forwards each client's datagrams to `target` from
 * an upstream socket of that client's own (so the target's replies find their
 * way back), and relays the target's replies to the client.
 *
 * The upstream socket binds `bindAddress` (the listening host, port 0: a
 * server on loopback forwards to loopback targets). It lives as long as the
 * session: the host closes idle sessions and bounds their number. The target
 * is resolved once per session, for the socket's address family; only
 * datagrams from that address and port are relayed to the client — anyone
 * else's are dropped and reported to the session (`dropStray`), so no other
 * host can inject datagrams into a client's session.
 *
 * A target whose IP family differs from the listening host's is refused
 * here (`TypeError`), when the server is added.
 *
 * A datagram that arrives while the session's socket is being opened waits
 * for it. When the socket cannot be bound or the target does not resolve,
 * the session ends with that error (the host logs and counts it as a handler
 * failure) and its datagrams are dropped; the client's next datagram opens a
 * new session, which tries again.
 */
export async function forwardDatagrams(target: string, bindAddress: unknown, env: HandlerEnvironment): Promise<DatagramHandler> {
  const transport: DatagramTransport = await env.transports.datagramTransport(target);
  // The interface's datagram sockets take host/port addresses, as UDP's do.
  const address = toHostPort(transport.parse(target) as AddressInput);
  checkFamilies(bindAddress, address);
  const upstreams = new WeakMap<DatagramSession, Promise<Upstream>>();

  const open = (session: DatagramSession): Promise<Upstream> => {
    const opening = openUpstream(transport, bindAddress, address);
    upstreams.set(session, opening);
    opening.then((upstream) => relayReplies(upstream, session), () => {});
    return opening;
  };
  return {
    async datagram(data, session) {
      let upstream: Upstream;
      try {
        upstream = await (upstreams.get(session) ?? open(session));
      } catch (error) {
        session.end(error);
        return;
      }
      if (!upstream.socket.closed) await upstream.socket.send(data, upstream.target);
    },
    sessionClosed(session) {
      upstreams.get(session)?.then((upstream) => upstream.socket.close(), () => {});
      upstreams.delete(session);
    },
  };
}

/**
 * Throws `TypeError` when the upstream sockets (bound on `bindAddress`, the
 * listening host) and the target are IP addresses of different families: a
 * UDP socket sends to its own family only, so every datagram would fail
 * (`EINVAL`). A name is resolved per session, for the socket's family; one
 * with no address of that family ends its session with the resolver's
 * error, counted.
 */
function checkFamilies(bindAddress: unknown, target: HostPort): void {
  const bindHost = (bindAddress as Partial<HostPort> | null)?.host;
  const from = typeof bindHost === 'string' ? isIP(bindHost) : 0;
  const to = isIP(target.host);
  if (from === 0 || to === 0 || from === to) return;
  throw new TypeError(
    `Cannot forward datagrams from ${bindHost} (IPv${from}) to ${target.host} (IPv${to}): a UDP socket sends to its own address family only; listen on an IPv${to} address or forward to an IPv${from} target`,
  );
}

/**
 * Binds a socket on `bindAddress` and resolves `target` for its family.
 * Rejects with the bind's error, or the resolver's (the socket is closed then).
 */
async function openUpstream(transport: DatagramTransport, bindAddress: unknown, target: HostPort): Promise<Upstream> {
  const socket = await transport.bind(bindAddress);
  try {
    return { socket, target: await resolvePeer(target, socket.sockname.family) };
  } catch (error) {
    socket.close();
    throw error;
  }
}

/**
 * Sends every datagram the upstream socket receives from its target back to
 * the session's client, until the socket closes; a datagram from anyone else
 * is dropped and reported (`dropStray`), and does not keep the session alive.
 * A failed receive (the socket goes on) is dropped like a lost datagram: the
 * handler has no log, and the session goes on.
 */
function relayReplies({ socket, target }: Upstream, session: DatagramSession): Promise<void> {
  return eachDatagram(
    socket,
    async (data, from) => {
      if (!isPeer(from, target)) {
        session.dropStray(from);
        return;
      }
      session.touch();
      await session.reply(data).catch(() => {});
    },
    () => {},
  );
}
