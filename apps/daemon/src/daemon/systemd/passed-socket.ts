import { createSocket, type Socket as DatagramSocket } from 'node:dgram';
import { once } from 'node:events';
import { Server, type Socket } from 'node:net';
import { EADDRINUSE } from '@evergreen/errno';
import type { SocketKind } from './socket-kind.js';

/**
 * One socket systemd passed in (`sd://NAME`, `fd://N`), adopted on first
 * use and kept for the daemon's life: a descriptor closed is gone for good
 * (systemd passes it once per start), so a server stopping, pausing with
 * `unbind` or being replaced by a reload hands it back rather than closing
 * it, and the next server takes it over. Never unlinked: the socket file is
 * the .socket unit's.
 *
 * While no server holds it, a stream socket's new connections are closed at
 * once and a datagram socket's datagrams dropped: the descriptor stays open
 * and bound, nothing is served.
 *
 * Errors: `lend*` rejects with the reason Node gives when it cannot adopt the
 * descriptor, and with an `Error` (`code` `EADDRINUSE`) when another server
 * holds it. Cost: one Node handle per passed socket.
 */
export class PassedSocket {
  /** The descriptor. */
  readonly fd: number;
  /** The URI that named it in the config (`sd://web`, `fd://3`). */
  readonly uri: string;
  readonly kind: SocketKind;
  #listener: Promise<Server> | undefined;
  #datagrams: Promise<DatagramSocket> | undefined;
  /** The Node handle once the descriptor is adopted. */
  #adopted: Server | DatagramSocket | undefined;

  constructor(fd: number, uri: string, kind: SocketKind) {
    this.fd = fd;
    this.uri = uri;
    this.kind = kind;
  }

  /**
   * Calls `use` with the listening `net.Server` over the descriptor, if no
   * other server holds it; `use` must attach to it (its `connection`
   * listener marks it held, and its removal hands it back).
   */
  async lendListener<T>(use: (listener: Server) => T): Promise<T> {
    const listener = await (this.#listener ??= this.#listen());
    if (listener.listenerCount('connection') > 1) throw this.#held();
    return use(listener);
  }

  /** Likewise for a datagram socket: `use` attaches a `message` listener, and removes it to hand it back. */
  async lendDatagramSocket<T>(use: (socket: DatagramSocket) => T): Promise<T> {
    const socket = await (this.#datagrams ??= this.#bind());
    if (socket.listenerCount('message') > 0) throw this.#held();
    return use(socket);
  }

  /** The bound address — a Unix socket's path, an IP socket's `{ address, port, family }` once adopted — or null when not known yet. */
  localAddress(): unknown {
    if (this.kind.scheme === 'pipe') return this.kind.path;
    return this.#adopted?.address() ?? null;
  }

  async #listen(): Promise<Server> {
    const listener = new Server({ allowHalfOpen: true });
    listener.on('connection', (socket: Socket) => {
      if (listener.listenerCount('connection') === 1) socket.destroy();
    });
    const failed = once(listener, 'error');
    listener.listen({ fd: this.fd });
    await Promise.race([once(listener, 'listening'), failed.then(([error]) => Promise.reject(error))]);
    failed.catch(() => {});
    // Accept errors (EMFILE, …) are per connection attempt: the socket goes on.
    listener.on('error', () => {});
    // Held for the daemon's life, never what keeps the process alive: a start that fails must still exit.
    listener.unref();
    this.#adopted = listener;
    return listener;
  }

  async #bind(): Promise<DatagramSocket> {
    const family = this.kind.scheme === 'udp' ? this.kind.family : 4;
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    // Receive errors while no endpoint holds it are nobody's: a dgram error with no listener would end the process.
    socket.on('error', () => {});
    const listening = once(socket, 'listening');
    socket.bind({ fd: this.fd });
    await listening;
    socket.unref();
    this.#adopted = socket;
    return socket;
  }

  #held(): Error {
    return Object.assign(new Error(`${this.uri} (fd ${this.fd}) is served by another server`), { code: 'EADDRINUSE', errno: EADDRINUSE });
  }
}
