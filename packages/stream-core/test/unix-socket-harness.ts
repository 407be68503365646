import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server, Socket } from 'node:net';
import { afterAll } from 'vitest';
import {
  DuplexStream,
  StreamConnection,
  StreamError,
  StreamServer,
  listenOn,
  type BaseStreamOptions,
  type BindOptions,
} from '../src/index.js';
import type { StreamTransportHarness } from '../src/testing/index.js';

/** The smallest transport over the Duplex adapter: Unix sockets by path. */
class UnixSocketServer extends StreamServer<StreamConnection, string> {
  #path = '';
  get path(): string {
    return this.#path;
  }
  protected _listen(listener: Server, path: string, options: BindOptions): Promise<void> {
    this.#path = path;
    return listenOn(listener, { path, backlog: options.backlog });
  }
  protected _createConnection(socket: Socket): StreamConnection {
    return new StreamConnection(socket, this._connectionOptions);
  }
}

class UnixSocketClient extends DuplexStream {
  async connect(path: string): Promise<void> {
    await this._connectSocket({ path });
  }
}

// Removed after the importing test file's tests: its sockets are gone by then.
const directory = mkdtempSync(join(tmpdir(), 'evergreen-core-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let sockets = 0;

/** Drives the stream-core compliance suite over real Unix domain sockets. */
export const unixSocketHarness: StreamTransportHarness<string> = {
  name: 'Duplex adapter over Unix sockets',
  errorClass: StreamError,
  createServer: (handler, options) => new UnixSocketServer(handler, options),
  bindAddress: () => join(directory, `s${sockets++}.sock`),
  connectAddress: (server) => (server as UnixSocketServer).path,
  createClient: (options?: BaseStreamOptions) => new UnixSocketClient(undefined, options),
  connect: (client, path) => (client as UnixSocketClient).connect(path),
};
