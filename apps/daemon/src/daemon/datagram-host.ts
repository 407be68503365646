import type { DatagramSocket, DatagramTransport, SocketAddress } from '@evergreen/stream-core';
import type { DatagramHandler, DatagramSession } from '../handlers/handler.js';
import type { ServerSpec } from '../protocol/server-spec.js';
import { eachDatagram } from '../handlers/each-datagram.js';
import { BindError } from './bind-error.js';
import type { ConnectionRecord } from './connection-record.js';
import { HostedServer, type HostContext } from './hosted-server.js';
import type { ServerOrigin } from '../protocol/results.js';

/** One client of a datagram server: its record (bytes, activity) and where replies go. */
class Session implements DatagramSession {
  bytesRead = 0;
  bytesWritten = 0;
  record!: ConnectionRecord;
  readonly peer: SocketAddress;
  readonly #socket: DatagramSocket;

  constructor(peer: SocketAddress, socket: DatagramSocket) {
    this.peer = peer;
    this.#socket = socket;
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
}

/**
 * A hosted server on a datagram transport (udp). Each client address is a
 * session — listed, counted and limited like a connection (`maxConnections`,
 * `maxPerSource`, `allow`/`deny`), ended after `idleTimeoutMs` without
 * traffic — and the handler gets every datagram with its session. Datagrams
 * from a refused source are dropped and counted. Pausing with `unbind`
 * closes the socket and its sessions; `refuse` drops every datagram. The
 * socket's kernel receive buffer is the spec's `recvBufferSize` (the OS's
 * default without one), set each time it binds.
 */
export class DatagramHost extends HostedServer {
  readonly #transport: DatagramTransport;
  readonly #address: unknown;
  readonly #handler: DatagramHandler;
  readonly #sessions = new Map<string, Session>();
  #socket: DatagramSocket | undefined;

  constructor(spec: ServerSpec, origin: ServerOrigin, context: HostContext, transport: DatagramTransport, handler: DatagramHandler) {
    super(spec, origin, context);
    this.#transport = transport;
    this.#address = transport.parse(spec.listen);
    this.#handler = handler;
  }

  protected async _listen(): Promise<void> {
    try {
      this.#socket = await this.#transport.bind(this.#address, { recvBufferSize: this.spec.recvBufferSize });
    } catch (error) {
      throw new BindError(`Cannot start server "${this.name}" on ${this.spec.listen}: ${(error as Error).message}`, error);
    }
    const socket = this.#socket;
    void eachDatagram(
      socket,
      (data, from) => this.#datagram(socket, data, from),
      (error) => this._log.warn({ err: error }, 'datagram receive failed: the server goes on receiving'),
    );
  }

  protected async _unlisten(): Promise<void> {
    this.#socket?.close();
    this.#socket = undefined;
    for (const session of [...this.#sessions.values()]) session.record.close('stopping');
  }

  protected async _closeAll(): Promise<void> {
    await this._unlisten();
  }

  protected _address(): string | null {
    return this.#socket === undefined ? null : this.#transport.format(this.#socket.sockname);
  }

  #datagram(socket: DatagramSocket, data: Buffer, from: SocketAddress): void {
    const session = this.#sessions.get(`${from.address}|${from.port}`) ?? this.#open(socket, from);
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
    const key = `${from.address}|${from.port}`;
    const session = new Session(from, socket);
    session.record = this._open(from.address, session, () => this.#close(key, session));
    this.#sessions.set(key, session);
    return session;
  }

  #close(key: string, session: Session): void {
    if (this.#sessions.get(key) !== session) return;
    this.#sessions.delete(key);
    this.#handler.sessionClosed(session);
    this._finish(session.record);
  }

  /** A datagram the handler could not deal with is logged and costs nothing else (the session goes on). */
  #failed(session: Session, error: unknown): void {
    if (session.record.closedBy !== undefined) return;
    this._log.warn({ conn: session.record.id, err: error }, 'datagram handler failed: the datagram is dropped');
  }
}
