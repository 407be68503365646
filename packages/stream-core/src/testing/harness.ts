import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { join } from 'node:path';
import type { BaseStream, BaseStreamOptions } from '../base-stream.js';
import type { StreamErrorClass } from '../errors.js';
import type { StreamConnection } from '../stream-connection.js';
import type { ConnectionHandler, StreamServer, StreamServerOptions } from '../stream-server.js';

/**
 * How the compliance suite drives one stream transport over real OS handles.
 * `A` is the transport's address type.
 */
export interface StreamTransportHarness<A = unknown> {
  /** Names the transport in test titles. */
  readonly name: string;
  /** The transport's error class: every error its streams raise is one. */
  readonly errorClass: StreamErrorClass;
  /** An unbound server of the transport. */
  createServer(handler: ConnectionHandler<StreamConnection> | undefined, options?: StreamServerOptions<StreamConnection>): StreamServer<StreamConnection, A>;
  /** A fresh address to bind (port 0, a new temporary socket path…). */
  bindAddress(): A;
  /** The address a bound server is reached at (its `sockname`, `pipename`…). */
  connectAddress(server: StreamServer<StreamConnection, A>): A;
  /** A new client stream, not connected yet. */
  createClient(options?: BaseStreamOptions): BaseStream;
  /** Connects a client made by `createClient`. */
  connect(client: BaseStream, address: A): Promise<void>;
  /** See `StreamPairHarness.writesReportedLater`. */
  readonly writesReportedLater?: boolean;
}

/** A client connected to a serving server, and the server's side of it. */
export interface ConnectedPair {
  client: BaseStream;
  conn: StreamConnection;
  server: StreamServer<StreamConnection>;
  /** Closes the client and the server (and with it the connection). */
  close(): Promise<void>;
}

/** Options of a server pair: limits for each side. */
export interface ConnectedPairOptions {
  client?: BaseStreamOptions;
  server?: StreamServerOptions<StreamConnection>;
}

/**
 * Binds a server whose handler parks each connection (it stays open until
 * closed), connects one client and resolves both ends.
 */
export async function connectPair<A>(harness: StreamTransportHarness<A>, options: ConnectedPairOptions = {}): Promise<ConnectedPair> {
  let accepted!: (conn: StreamConnection) => void;
  const conn = new Promise<StreamConnection>((resolve) => (accepted = resolve));
  const server = harness.createServer((c) => accepted(c), options.server);
  await server.bind(harness.bindAddress());
  void server.serve();
  const client = harness.createClient(options.client);
  await harness.connect(client, harness.connectAddress(server));
  return {
    client,
    conn: await conn,
    server: server as unknown as StreamServer<StreamConnection>,
    async close() {
      client.close();
      await server.close();
    },
  };
}

/** Two ends of one OS-level channel: bytes written to `writer` are read from `reader`. */
export interface StreamPair {
  writer: BaseStream;
  reader: BaseStream;
  /** Closes both ends and whatever else the pair holds. */
  close(): Promise<void>;
}

/** Limits of each end of a pair. */
export interface PairOptions {
  writer?: BaseStreamOptions;
  reader?: BaseStreamOptions;
}

/**
 * How the stream topics of the suite drive a transport without servers —
 * adopted descriptors, terminals — over a real channel (a FIFO, a
 * socketpair, a pty).
 */
export interface StreamPairHarness {
  /** Names the transport in test titles. */
  readonly name: string;
  /** The transport's error class: every error its streams raise is one. */
  readonly errorClass: StreamErrorClass;
  /** Whether `reader` can write back to `writer` (a socket) or not (a pipe). */
  readonly twoWay: boolean;
  /**
   * True when the handle reports every write as pending until a later turn
   * (Node's TLS sockets: the encrypted bytes go out, the callback comes
   * after), so `write()` returns false even when the OS took the data at once.
   */
  readonly writesReportedLater?: boolean;
  /** A connected pair with these limits. */
  createPair(options?: PairOptions): Promise<StreamPair>;
}

/** The pair harness of a server transport: the client writes, the accepted connection reads. */
export function pairsOf<A>(harness: StreamTransportHarness<A>): StreamPairHarness {
  return {
    name: harness.name,
    errorClass: harness.errorClass,
    twoWay: true,
    writesReportedLater: harness.writesReportedLater,
    async createPair(options = {}) {
      const pair = await connectPair(harness, { client: options.writer, server: options.reader });
      return { writer: pair.client, reader: pair.conn, close: () => pair.close() };
    },
  };
}

/**
 * The pair harness of a server transport the other way round: the accepted
 * connection writes, the client reads (a client reads through memory it
 * reuses, unlike an accepted connection).
 */
export function clientPairsOf<A>(harness: StreamTransportHarness<A>): StreamPairHarness {
  return {
    name: `${harness.name}, client reading`,
    errorClass: harness.errorClass,
    twoWay: true,
    writesReportedLater: harness.writesReportedLater,
    async createPair(options = {}) {
      const pair = await connectPair(harness, { client: options.reader, server: options.writer });
      return { writer: pair.conn, reader: pair.client, close: () => pair.close() };
    },
  };
}

/**
 * Waits (bounded: `limit` event-loop turns of 10 ms) until `condition` holds;
 * throws if it never does. For settling, never for measuring time.
 */
export async function until(condition: () => boolean, what: string, limit = 500): Promise<void> {
  for (let turn = 0; turn < limit; turn++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Gave up waiting: ${what}`);
}

/** Hex SHA-256 of some bytes: compares large payloads without printing them. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Runs `work` while counting the bytes `Buffer#indexOf` is asked to search
 * (from the start offset to the end of each searched buffer): how the suite
 * tells a linear delimiter search from a rescanning one without timing
 * anything. Restores `Buffer#indexOf` however `work` ends.
 */
export async function countSearchedBytes<T>(work: () => Promise<T> | T): Promise<{ value: T; searched: number }> {
  let searched = 0;
  const indexOf = Buffer.prototype.indexOf;
  Buffer.prototype.indexOf = function (this: Buffer, ...args: Parameters<Buffer['indexOf']>) {
    searched += this.length - (typeof args[1] === 'number' ? args[1] : 0);
    return indexOf.apply(this, args);
  };
  try {
    return { value: await work(), searched };
  } finally {
    Buffer.prototype.indexOf = indexOf;
  }
}

/**
 * Makes a FIFO at `path` (`mkfifo`) and opens both ends, non-blocking so
 * opening one end does not wait for the other: a real one-way channel for
 * transports that adopt descriptors. The caller owns both descriptors.
 */
export function openFifo(path: string): { readFd: number; writeFd: number } {
  execFileSync('mkfifo', [path]);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return { readFd, writeFd: openSync(path, constants.O_WRONLY | constants.O_NONBLOCK) };
}

/**
 * A one-way pair harness over FIFOs made in `directory`: `adopt` wraps each
 * end (`readable` says which) in the transport's stream. For transports that
 * adopt descriptors (`PipeStream`, `TTYStream`).
 */
export function fifoPairHarness(
  name: string,
  errorClass: StreamErrorClass,
  directory: string,
  adopt: (fd: number, readable: boolean, options?: BaseStreamOptions) => BaseStream,
): StreamPairHarness {
  let fifos = 0;
  return {
    name,
    errorClass,
    twoWay: false,
    async createPair(options = {}) {
      const { readFd, writeFd } = openFifo(join(directory, `fifo${fifos++}`));
      const reader = adopt(readFd, true, options.reader);
      const writer = adopt(writeFd, false, options.writer);
      return {
        reader,
        writer,
        async close() {
          writer.close();
          reader.close();
        },
      };
    },
  };
}
