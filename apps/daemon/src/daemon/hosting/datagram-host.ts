import type { DatagramSocket, DatagramTransport, SocketAddress } from '@evergreen/stream-core';
import type { DatagramHandler, DatagramSession } from '../../handlers/handler.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import { eachDatagram } from '../../handlers/each-datagram.js';
import { BindError } from './bind-error.js';
import { kernelUdpDrops } from './kernel-udp-drops.js';
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

/** The key of a client's session: its address and port. */
function keyOf(peer: SocketAddress): string {
  return `${peer.address}|${peer.port}`;
}

/**
 * A hosted server on a datagram transport (udp). Each client address is a
 * session — listed, counted and limited like a connection (`maxConnections`,
 * `maxPerSource`, `allow`/`deny`), ended after `idleTimeoutMs` without
 * traffic — and the handler gets every datagram with its session. Datagrams
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
 * the socket back open (see `PassedSocket`).
 */
export class DatagramHost extends HostedServer {
  readonly #transport: DatagramTransport;
  readonly #address: unknown;
  readonly #handler: DatagramHandler;
  readonly #passed: PassedSocket | undefined;
  readonly #sessions = new Map<string, Session>();
  readonly #strays: RateLimitedLog;
  readonly #owner: SessionOwner = {
    end: (session, error) => this.#close(session, error),
    dropStray: (session, from) => this.#strays.warn({ conn: session.record.id, from: `${from.address}:${from.port}` }, 'stray datagram dropped: its sender may not send into this session'),
  };
  #socket: DatagramSocket | undefined;
  /** Drops of the current socket counted so far: the kernel's, and its own queue's. */
  #dropsCounted = { kernel: 0, queue: 0 };

  constructor(spec: ServerSpec, origin: ServerOrigin, context: HostContext, transport: DatagramTransport, handler: DatagramHandler, passed?: PassedSocket) {
    super(spec, origin, context);
    this.#transport = transport;
    this.#passed = passed;
    this.#address = passed === undefined ? transport.parse(spec.listen) : undefined;
    this.#handler = handler;
    this.#strays = new RateLimitedLog(this._log, 'stray datagram');
  }

  protected async _listen(): Promise<void> {
    try {
      this.#socket = await this.#bind({ recvBufferSize: this.spec.recvBufferSize });
    } catch (error) {
      throw new BindError(`Cannot start server "${this.name}" on ${this.spec.listen}: ${(error as Error).message}`, error);
    }
    const socket = this.#socket;
    this.#dropsCounted = { kernel: 0, queue: 0 };
    void eachDatagram(
      socket,
      (data, from) => this.#datagram(socket, data, from),
      (error) => this._log.warn({ err: error }, 'datagram receive failed: the server goes on receiving'),
    );
  }

  /** Binds the address, or attaches to the passed socket. */
  #bind(options: { recvBufferSize?: number }): Promise<DatagramSocket> {
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
    const kernel = kernelUdpDrops(socket.sockname) ?? this.#dropsCounted.kernel;
    const queue = (socket as DatagramSocket & { stats?: { dropped?: number } }).stats?.dropped ?? this.#dropsCounted.queue;
    const dropped = kernel - this.#dropsCounted.kernel + (queue - this.#dropsCounted.queue);
    this.#dropsCounted = { kernel, queue };
    if (dropped > 0) this._refuseDropped(dropped, this.spec.recvBufferSize);
  }

  #datagram(socket: DatagramSocket, data: Buffer, from: SocketAddress): void {
    const session = this.#sessions.get(keyOf(from)) ?? this.#open(socket, from);
    if (session === undefined) return;
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

  #open(socket: DatagramSocket, from: SocketAddress): Session | undefined {
    if (this._refusal(from.address) !== undefined) return undefined;
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
  }

  /** A datagram the handler could not deal with is logged and costs nothing else (the session goes on). */
  #failed(session: Session, error: unknown): void {
    if (session.record.closedBy !== undefined) return;
    this._log.warn({ conn: session.record.id, err: error }, 'datagram handler failed: the datagram is dropped');
  }
}
