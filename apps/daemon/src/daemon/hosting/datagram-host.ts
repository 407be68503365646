import type { DatagramBindOptions, DatagramSocket, DatagramTransport, SocketAddress } from '@evergreen/stream-core';
import type { DatagramHandler, DatagramSession } from '../../handlers/handler.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import { eachDatagram } from '../../handlers/each-datagram.js';
import { BindError } from './bind-error.js';
import { kernelUdpDrops, ownUdpSocketInode } from './kernel-udp-drops.js';
import type { ConnectionRecord } from './connection-record.js';
import { hostPort } from './connection-endpoints.js';
import { HostedServer, type HostContext } from './hosted-server.js';
import { RateLimitedLog } from '../logging/rate-limited-log.js';
import type { ServerOrigin } from '../../protocol/results.js';
import type { PassedSocket } from '../systemd/passed-socket.js';

/** What a session asks of its host: to end it, to report a stray datagram. */
interface SessionOwner {
  end(session: Session, error: unknown): void;
  dropStray(session: Session, from: SocketAddress): void;
}

/** One client of a datagram server: its record (bytes, activity) and where replies go. */
class Session implements DatagramSession {
  bytesRead = 0;
  bytesWritten = 0;
  record!: ConnectionRecord;
  readonly peer: SocketAddress;
  readonly #socket: DatagramSocket;
  readonly #owner: SessionOwner;

  constructor(peer: SocketAddress, socket: DatagramSocket, owner: SessionOwner) {
    this.peer = peer;
    this.#socket = socket;
    this.#owner = owner;
  }

  get context(): ConnectionRecord {
    return this.record;
  }

  async reply(data: Uint8Array): Promise<void> {
    this.bytesWritten += data.byteLength;
    await this.#socket.send(data, this.peer);
  }

  touch(): void {
    this.record.touch();
  }

  end(error: unknown): void {
    this.#owner.end(this, error);
  }

  dropStray(from: SocketAddress): void {
    this.#owner.dropStray(this, from);
  }
}

/** Most datagrams of a new client that wait while its place is claimed from the primary (workers); those past it are dropped. */
const MAX_WAITING_FOR_CLAIM = 64;

/** A new client's datagrams waiting for the primary's verdict, and how many came (those past the bound were dropped). */
interface Claiming {
  datagrams: Buffer[];
  arrived: number;
}

/** The key of a client's session: its address and port. */
function keyOf(peer: SocketAddress): string {
  return `${peer.address}|${peer.port}`;
}

/**
 * A hosted server on a datagram transport (udp). Each client address is a
 * session — listed, counted and limited like a connection (`maxConnections`,
 * `maxPerSource`, `allow`/`deny`), ended after `idleTimeoutMs` without
 * traffic — and the handler gets every datagram with its session. With
 * workers a new client's place is claimed from the primary first (the
 * whole server's limits), its datagrams waiting for the verdict (at most
 * `MAX_WAITING_FOR_CLAIM`; more are dropped, counted as refused). Datagrams
 * from a refused source are dropped and counted. A session the handler ends
 * is logged and counted as a handler error; the stray datagrams a handler
 * drops are logged, rate-limited. Datagrams dropped before the handler
 * sees them — the kernel's receive buffer was full, read from /proc/net/udp
 * on Linux — are counted as refused (`resources`) at each sweep (within a
 * second). Pausing with `unbind`
 * closes the socket and its sessions; `refuse` drops every datagram. The
 * socket's kernel receive buffer is the spec's `recvBufferSize` (the OS's
 * default without one), set each time it binds. On a socket systemd passed
 * in (`passed`), it attaches instead of binding, and `unbind` or a stop hands
 * the socket back open (see `PassedSocket`). With `reusePort` (workers
 * sharing the port) each bind asks the transport for `SO_REUSEPORT`.
 */
export class DatagramHost extends HostedServer {
  readonly #transport: DatagramTransport;
  readonly #address: unknown;
  readonly #handler: DatagramHandler;
  readonly #passed: PassedSocket | undefined;
  readonly #reusePort: boolean;
  readonly #sessions = new Map<string, Session>();
  /** New clients whose place is being claimed from the primary, by session key. */
  readonly #claiming = new Map<string, Claiming>();
  readonly #strays: RateLimitedLog;
  readonly #owner: SessionOwner = {
    end: (session, error) => this.#close(session, error),
    dropStray: (session, from) => this.#strays.warn({ conn: session.record.id, from: `${from.address}:${from.port}` }, 'stray datagram dropped: its sender may not send into this session'),
  };
  #socket: DatagramSocket | undefined;
  /** Drops of the current socket counted so far: the kernel's, and its own queue's. */
  #dropsCounted = { kernel: 0, queue: 0 };
  /** With `reusePort`: the current socket's inode, which tells its /proc/net/udp line from the other workers'. */
  #inode: string | undefined;

  constructor(spec: ServerSpec, origin: ServerOrigin, context: HostContext, transport: DatagramTransport, handler: DatagramHandler, socket: { passed?: PassedSocket; reusePort?: boolean } = {}) {
    super(spec, origin, context);
    const { passed } = socket;
    this.#transport = transport;
    this.#passed = passed;
    this.#reusePort = socket.reusePort === true;
    this.#address = passed === undefined ? transport.parse(spec.listen) : undefined;
    this.#handler = handler;
    this.#strays = new RateLimitedLog(this._log, 'stray datagram');
  }

  protected async _listen(): Promise<void> {
    try {
      this.#socket = await this.#bind({ recvBufferSize: this.spec.recvBufferSize, ...(this.#reusePort && { reusePort: true }) });
    } catch (error) {
      throw new BindError(`Cannot start server "${this.name}" on ${this.spec.listen}: ${(error as Error).message}`, error);
    }
    const socket = this.#socket;
    this.#dropsCounted = { kernel: 0, queue: 0 };
    this.#inode = this.#reusePort ? ownUdpSocketInode(socket.sockname) : undefined;
    void eachDatagram(
      socket,
      (data, from) => this.#datagram(socket, data, from),
      (error) => this._log.warn({ err: error }, 'datagram receive failed: the server goes on receiving'),
    );
  }

  /** Binds the address, or attaches to the passed socket. */
  #bind(options: DatagramBindOptions): Promise<DatagramSocket> {
    const passed = this.#passed;
    if (passed === undefined) return this.#transport.bind(this.#address, options);
    const attach = this.#transport.attach?.bind(this.#transport);
    if (attach === undefined) return Promise.reject(new Error(`the "${this.#transport.scheme}" transport cannot serve a socket passed in`));
    return passed.lendDatagramSocket((socket) => attach(socket, options));
  }

  protected async _unlisten(): Promise<void> {
    this._sweep();
    this.#socket?.close();
    this.#socket = undefined;
    for (const session of [...this.#sessions.values()]) session.record.close('stopping');
  }

  protected async _closeAll(): Promise<void> {
    await this._unlisten();
  }

  protected _address(): string | null {
    if (this.#passed !== undefined) {
      const address = this.#passed.localAddress();
      return address === null ? null : this.#transport.format(address);
    }
    return this.#socket === undefined ? null : this.#transport.format(this.#socket.sockname);
  }

  /**
   * Counts the datagrams dropped since the last sweep before anyone saw
   * them: by the kernel (the receive buffer was full: `recvBufferSize`) and
   * by the socket's own queue, as refused (`resources`). Without this a
   * burst of new clients larger than the buffer vanished uncounted.
   */
  protected override _sweep(): void {
    const socket = this.#socket;
    if (socket === undefined || socket.closed) return;
    const kernel = this.#kernelDrops(socket) ?? this.#dropsCounted.kernel;
    const queue = (socket as DatagramSocket & { stats?: { dropped?: number } }).stats?.dropped ?? this.#dropsCounted.queue;
    const dropped = kernel - this.#dropsCounted.kernel + (queue - this.#dropsCounted.queue);
    this.#dropsCounted = { kernel, queue };
    if (dropped > 0) this._refuseDropped(dropped, this.spec.recvBufferSize);
  }

  /** The kernel's drops of this socket; undefined when unknown — with `reusePort`, also when its line cannot be told from the other workers'. */
  #kernelDrops(socket: DatagramSocket): number | undefined {
    if (this.#reusePort && this.#inode === undefined) return undefined;
    return kernelUdpDrops(socket.sockname, this.#inode);
  }

  #datagram(socket: DatagramSocket, data: Buffer, from: SocketAddress): void {
    const key = keyOf(from);
    const session = this.#sessions.get(key);
    if (session !== undefined) {
      this.#deliver(session, data);
      return;
    }
    const claiming = this.#claiming.get(key);
    if (claiming !== undefined) {
      claiming.arrived += 1;
      if (claiming.datagrams.length < MAX_WAITING_FOR_CLAIM) claiming.datagrams.push(data);
      return;
    }
    if (this._refusal(from.address) !== undefined) return;
    if (this._context.claim === undefined) this.#deliver(this.#open(socket, from), data);
    else void this.#claimThenOpen(socket, from, key, data);
  }

  /** With workers: opens the session of a new client once the primary grants its place, then hands it the datagrams that waited. */
  async #claimThenOpen(socket: DatagramSocket, from: SocketAddress, key: string, first: Buffer): Promise<void> {
    const claiming: Claiming = { datagrams: [first], arrived: 1 };
    this.#claiming.set(key, claiming);
    const admitted = await this._claim(from.address, () => claiming.arrived);
    this.#claiming.delete(key);
    if (!admitted) return;
    // Unbound or stopped meanwhile: the place goes back, the datagrams with the socket.
    if (this.#socket !== socket) {
      this._context.release!(this.name, from.address);
      return;
    }
    const dropped = claiming.arrived - claiming.datagrams.length;
    if (dropped > 0) this._refuseWhileClaiming(from.address, dropped);
    const session = this.#open(socket, from);
    for (const data of claiming.datagrams) if (this.#sessions.get(key) === session) this.#deliver(session, data);
  }

  /** Hands one datagram to the handler with its session. */
  #deliver(session: Session, data: Buffer): void {
    session.bytesRead += data.byteLength;
    session.touch();
    let result: void | Promise<void>;
    try {
      result = this.#handler.datagram(data, session);
    } catch (error) {
      this.#failed(session, error);
      return;
    }
    result?.catch((error: unknown) => this.#failed(session, error));
  }

  /** Opens an admitted client's session. */
  #open(socket: DatagramSocket, from: SocketAddress): Session {
    const session = new Session(from, socket, this.#owner);
    session.record = this._open(from.address, session, { close: () => this.#close(session) }, { peer: hostPort(from.address, from.port), local: hostPort(socket.sockname.address, socket.sockname.port) });
    this.#sessions.set(keyOf(from), session);
    return session;
  }

  /** Ends `session` once (`error`: the handler's failure that ended it, logged and counted). */
  #close(session: Session, error?: unknown): void {
    const key = keyOf(session.peer);
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    this.#handler.sessionClosed(session);
    this._finish(session.record, error);
    this._context.release?.(this.name, session.record.source);
  }

  /** A datagram the handler could not deal with is logged and costs nothing else (the session goes on). */
  #failed(session: Session, error: unknown): void {
    if (session.record.closedBy !== undefined) return;
    this._log.warn({ conn: session.record.id, err: error }, 'datagram handler failed: the datagram is dropped');
  }
}
