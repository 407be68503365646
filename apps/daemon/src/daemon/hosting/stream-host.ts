import { DEFAULT_CLOSE_TIMEOUT_MS, MAX_TIMER_MS, within, type StreamConnection, type StreamServer, type StreamTransport } from '@evergreen/stream-core';
import type { StreamHandler } from '../../handlers/handler.js';
import type { ServerSpec } from '../../protocol/server-spec.js';
import { LOCAL_SOURCE } from './admission.js';
import { BindError } from './bind-error.js';
import { descriptorHeadroom } from './descriptor-headroom.js';
import { HostedServer, type HostContext } from './hosted-server.js';
import type { ServerOrigin } from '../../protocol/results.js';
import type { PassedSocket } from '../systemd/passed-socket.js';
import type { ConnectionRecord } from './connection-record.js';

/**
 * A hosted server on a stream transport (tcp, pipe, …): each accepted
 * connection is admitted or refused (closed at once, counted; also when the
 * process is about to run out of file descriptors), recorded, and
 * handed to the handler; it is flushed and closed when the handler settles.
 * A handler failure is logged with the connection's id and costs only that
 * connection; one that comes of the peer resetting the connection is the
 * peer closing (`closedBy: "reset"`, logged at debug, no error). A
 * connection whose peer is gone before it could be admitted is counted as
 * accepted and closed all the same (source `unknown`). Pausing with
 * `unbind` closes the listener and keeps the connections it accepted;
 * resuming binds a new one.
 * On a socket systemd passed in (`passed`), nothing is bound or unlinked:
 * the server attaches to it, and pausing or stopping hands it back (see
 * `PassedSocket`).
 */
export class StreamHost extends HostedServer {
  readonly #transport: StreamTransport;
  readonly #address: unknown;
  readonly #handler: StreamHandler;
  readonly #passed: PassedSocket | undefined;
  #server: StreamServer | undefined;
  /** Listeners closed by a pause whose connections may still be active. */
  readonly #retired = new Set<StreamServer>();

  constructor(spec: ServerSpec, origin: ServerOrigin, context: HostContext, transport: StreamTransport, handler: StreamHandler, passed?: PassedSocket) {
    super(spec, origin, context);
    this.#transport = transport;
    this.#passed = passed;
    this.#address = passed === undefined ? transport.parse(spec.listen) : undefined;
    this.#handler = handler;
  }

  protected async _listen(): Promise<void> {
    const { highWaterMark, maxBufferSize } = this.spec;
    // #serve settles every outcome itself (flush, close, count, log) and never
    // rejects: handing the server no promise spares it a reaction (and two
    // bound functions) per connection for the connection's whole life.
    const server = this.#transport.createServer((conn) => void this.#serve(conn), { ...this._serverOptions(), highWaterMark, maxBufferSize });
    try {
      if (this.#passed === undefined) await server.bind(this.#address);
      else await this.#passed.lendListener((listener) => server.attach(listener));
    } catch (error) {
      await server.close();
      throw new BindError(`Cannot start server "${this.name}" on ${this.spec.listen}: ${(error as Error).message}`, error);
    }
    this.#server = server;
    void server.serve();
  }

  protected async _unlisten(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#retired.add(server);
    // Stops accepting and frees the address now; the connections it accepted
    // go on until they end or the host closes them.
    void server.close({ drainMs: MAX_TIMER_MS }).then(() => this.#retired.delete(server));
  }

  protected async _closeAll(): Promise<void> {
    await Promise.all([...this.#retired].map((server) => server.close()));
  }

  /** The listener serving now, or undefined while unbound. */
  protected get _server(): StreamServer | undefined {
    return this.#server;
  }

  /** Subclasses: the transport's own `createServer` options (TLS credentials, `admit`, …). */
  protected _serverOptions(): object {
    return {};
  }

  /** Subclasses: told of each connection the listener hands over, before admission; what it returns goes on its record. */
  protected _handedOver(_conn: StreamConnection): ConnectionRecord['tls'] {
    return undefined;
  }

  protected _address(): string | null {
    if (this.#passed !== undefined) {
      const address = this.#passed.localAddress();
      return address === null ? null : this.#transport.format(address);
    }
    const server = this.#server as (StreamServer & { sockname?: unknown; pipename?: unknown }) | undefined;
    if (server === undefined) return null;
    return this.#transport.format(server.sockname ?? server.pipename ?? this.#address);
  }

  /** Serves one accepted connection to its end; never rejects (every step's failure is settled here). */
  async #serve(conn: StreamConnection): Promise<void> {
    const facts = this._handedOver(conn);
    const source = sourceOf(conn);
    if (descriptorHeadroom.exhausted(conn.fd)) {
      this._refuseForDescriptors(source, conn.fd, descriptorHeadroom.limit);
      conn.close();
      return;
    }
    if (source === undefined) {
      // The peer reset before its address could be read: accepted and closed, counted as both.
      const record = this._open(GONE_SOURCE, conn, conn);
      conn.close();
      this._finish(record, undefined, true);
      return;
    }
    if (this._refusal(source) !== undefined) {
      conn.close();
      return;
    }
    const claimed = this._context.claim !== undefined;
    if (claimed && !(await this._claim(source))) {
      conn.close();
      return;
    }
    const record = this._open(source, conn, conn, conn);
    record.tls = facts;
    let failure: unknown;
    try {
      await this.#handler(conn, record);
    } catch (error) {
      failure = error;
    }
    if (!conn.closed) await within(conn.flush(), DEFAULT_CLOSE_TIMEOUT_MS);
    conn.close();
    // A peer that reset while the reply was still being flushed did not get all of it: that is a reset too.
    this._finish(record, failure, peerAborted(conn));
    if (claimed) this._context.release!(this.name, source);
  }
}

/** The source of a connection whose peer was gone before its address could be read. */
const GONE_SOURCE = 'unknown';

/**
 * Whether `conn` ended because its peer aborted it — a reset (`ECONNRESET`,
 * `ECONNABORTED`), or a write after it had gone (`EPIPE`) — so a handler
 * failure is the peer closing, not a fault of the handler's.
 */
function peerAborted(conn: StreamConnection): boolean {
  const code = conn.failure?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE';
}

/**
 * The peer's address of a connection (`peername` of TCP), `local` for a
 * transport that has none (pipes), or undefined when the peer is already gone.
 */
function sourceOf(conn: StreamConnection): string | undefined {
  if (!('peername' in conn)) return LOCAL_SOURCE;
  try {
    const peer = (conn as StreamConnection & { peername: { address?: unknown } }).peername;
    return typeof peer.address === 'string' ? peer.address : undefined;
  } catch {
    return undefined;
  }
}
