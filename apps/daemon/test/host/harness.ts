import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { createConnection, type ListenOptions, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig } from '../../src/daemon/config/config-file.js';
import type { DaemonConfig, DaemonConfigInput } from '../../src/daemon/config/config-schema.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/daemon/logging/logger.js';
import type { DaemonState } from '../../src/daemon/state/state-file.js';
import type { ServerLimits, ServerSpec } from '../../src/protocol/server-spec.js';

/**
 * What the host tests share: temp dirs, daemons and sockets that are all
 * released after each test (`afterEach(releaseAll)`), however the test ended,
 * newest first (a daemon shuts down before its dirs are removed).
 */

type Release = () => unknown;
const releases: Release[] = [];

/** Releases `release` after the current test, even when it fails. */
export function afterTest(release: Release): void {
  releases.push(release);
}

/**
 * Listens `server` (a `net` or `tls` server whose accepted sockets go into
 * `sockets`) on `options`; after the test it is closed and every socket it
 * accepted destroyed, however the test ended.
 */
export async function listenForTest(server: Server, sockets: readonly { destroy(): unknown }[], options: ListenOptions): Promise<void> {
  server.listen(options);
  await once(server, 'listening');
  afterTest(async () => {
    const closed = once(server, 'close');
    server.close();
    for (const socket of sockets) socket.destroy();
    await closed;
  });
}

/** Releases everything the test took, newest first; rethrows the first failure once all have run. */
export async function releaseAll(): Promise<void> {
  let failure: unknown;
  while (releases.length > 0) {
    try {
      await releases.pop()!();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== undefined) throw failure;
}

/** A fresh temp dir, removed after the test. Short, so a unix socket path in it fits in sun_path. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'egd-'));
  afterTest(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A config's servers, as a config file would list them. */
export type ServersInput = NonNullable<DaemonConfigInput['servers']>;

/** A started daemon of `servers` (state in `stateDir`, a new temp dir by default), shut down (drain 0) after the test. */
export async function startDaemon(servers: ServersInput, stateDir?: string): Promise<Daemon> {
  return startDaemonWith({ servers }, stateDir);
}

/** Like {@link startDaemon}, for a whole config (`transports` too); logging is silent. */
export async function startDaemonWith(input: DaemonConfigInput, stateDir?: string): Promise<Daemon> {
  const daemon = new Daemon({ config: silentConfig(input), configFile: null, stateDir: stateDir ?? (await tempDir()), log: createLogger('silent') });
  afterTest(() => daemon.shutdown(0));
  await daemon.start();
  return daemon;
}

/** A server on 127.0.0.1, port 0, with a built-in handler: as a config lists it and `addServer` takes it. */
export function loopbackServer(name: string, type: 'echo' | 'discard' = 'echo', limits: ServerLimits = {}): ServerSpec {
  return { name, listen: 'tcp://127.0.0.1:0', handler: { type }, ...limits };
}

/** A validated config of `servers` (logging silent, as a reload would set it). */
export function config(servers: ServersInput): DaemonConfig {
  return silentConfig({ servers });
}

/** `input` validated, its logging silent. */
function silentConfig(input: DaemonConfigInput): DaemonConfig {
  return parseConfig({ ...input, log: { level: 'silent' } }, 'test');
}

/** The bound address of a server of `daemon` (port 0 resolved). */
export function addressOf(daemon: Daemon, name: string): string {
  const address = daemon.server(name).address;
  if (address === null) throw new Error(`Server "${name}" is not bound`);
  return address;
}

/** `tcp://host:port` or `pipe:///path` as `node:net` connect options. */
export function endpoint(uri: string): { host: string; port: number } | { path: string } {
  if (uri.startsWith('pipe://')) return { path: decodeURIComponent(uri.slice('pipe://'.length)) };
  const url = new URL(uri);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}

/** The port of a `tcp://` or `udp://` URI. */
export function portOf(uri: string): number {
  return Number(new URL(uri).port);
}

/** The state file of `stateDir` as it is on disk now. */
export async function stateOnDisk(stateDir: string): Promise<DaemonState> {
  return JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as DaemonState;
}

/**
 * A plain `node:net` connection (half-open allowed) to a `tcp://` or
 * `pipe://` address, destroyed after the test. `localAddress` picks the
 * source (another loopback address, such as 127.0.0.2, is another source).
 */
export async function connectSocket(uri: string, localAddress?: string): Promise<Socket> {
  const socket = createConnection({ ...endpoint(uri), localAddress, allowHalfOpen: true });
  afterTest(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** How a connection ended, seen from the client: its peer's FIN, or a reset/error. */
export type Ending = 'eof' | 'reset';

/** The most a test waits for bytes or an ending from the daemon before it fails with a message. */
const WAIT_MS = 15_000;

/**
 * A client connection (plain `node:net`, half-open allowed) that keeps what
 * it receives: `read(n)` waits for n more bytes, `ending()` for the end of
 * the stream. Destroyed after the test.
 */
export class Client {
  readonly socket: Socket;
  #buffer = Buffer.alloc(0);
  #ending: Ending | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#push(chunk));
    socket.on('end', () => this.#end('eof'));
    socket.on('error', () => this.#end('reset'));
    socket.on('close', () => this.#end('reset'));
  }

  /** Connects to a `tcp://` or `pipe://` address (from `localAddress`, when given); rejects with the connect error. */
  static async connect(uri: string, localAddress?: string): Promise<Client> {
    return new Client(await connectSocket(uri, localAddress));
  }

  /** Writes `text` and waits for as many bytes back. */
  async exchange(text: string): Promise<string> {
    this.socket.write(text);
    return (await this.read(Buffer.byteLength(text))).toString();
  }

  /** The next `n` bytes; fails if the stream ends first or none come within the wait. */
  async read(n: number): Promise<Buffer> {
    await this.#until(() => this.#buffer.length >= n || this.#ending !== undefined, `${n} bytes`);
    if (this.#buffer.length < n) throw new Error(`Expected ${n} bytes, the stream ended (${this.#ending}) after ${this.#buffer.length}`);
    const bytes = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return bytes;
  }

  /** Waits for the stream to end; resolves how, and the bytes not read before it. */
  async ending(): Promise<{ how: Ending; rest: Buffer }> {
    await this.#until(() => this.#ending !== undefined, 'the end of the stream');
    return { how: this.#ending!, rest: this.#buffer };
  }

  #push(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    this.#wake?.();
  }

  #end(how: Ending): void {
    this.#ending ??= how;
    this.#wake?.();
  }

  async #until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Gave up waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** Expects `client`'s connection to have been refused: closed by the daemon at once, with no byte sent. */
export async function expectRefused(client: Client): Promise<void> {
  expect((await client.ending()).rest.length).toBe(0);
}

/** What a promise rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`Expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}
