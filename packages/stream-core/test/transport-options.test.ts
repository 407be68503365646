import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server, Socket } from 'node:net';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  DuplexStream,
  StreamConnection,
  StreamServer,
  listenOn,
  type StreamConnectOptions,
  type StreamServerOptions,
  type StreamTransport,
  type Transport,
  type TransportConnectOptions,
  type TransportServerOptions,
} from '../src/index.js';

/** A third-party plugin's own options: a greeting each side sends first (not URI material). */
interface GreetingOptions {
  greeting: string;
}

class GreetingServer extends StreamServer<StreamConnection, string> {
  readonly #greeting: string;
  constructor(handler: (conn: StreamConnection) => unknown, options: StreamServerOptions<StreamConnection> & Partial<GreetingOptions>) {
    super(handler, options);
    this.#greeting = checkedGreeting(options.greeting);
  }
  protected _listen(listener: Server, path: string): Promise<void> {
    return listenOn(listener, { path });
  }
  protected _createConnection(socket: Socket): StreamConnection {
    const conn = new StreamConnection(socket, this._connectionOptions);
    conn.write(this.#greeting);
    return conn;
  }
}

class GreetingClient extends DuplexStream {
  async connect(path: string, greeting: string, signal?: AbortSignal): Promise<void> {
    this.write(greeting);
    await this._connectSocket({ path }, signal);
  }
}

/** A transport checks its own options when called: a wrong shape is a TypeError, never guessed. */
function checkedGreeting(greeting: unknown = 'hello\n'): string {
  if (typeof greeting !== 'string') throw new TypeError(`Cannot use greeting ${String(greeting)}: expected a string`);
  return greeting;
}

const greetingTransport: StreamTransport<string, Partial<GreetingOptions>, Partial<GreetingOptions>> = {
  kind: 'stream',
  scheme: 'greet',
  parse: (uri) => uri.slice('greet://'.length),
  format: (path) => `greet://${path}`,
  createServer: (handler, options = {}) => new GreetingServer(handler, options),
  async connect(path, options: StreamConnectOptions & Partial<GreetingOptions> = {}) {
    const client = new GreetingClient(undefined, options);
    await client.connect(path, checkedGreeting(options.greeting), options.signal);
    return client;
  },
};

const directory = mkdtempSync(join(tmpdir(), 'evergreen-transport-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('a transport plugin with options of its own', () => {
  it('declares them in its type, where a caller that knows it reads them back', () => {
    expectTypeOf<TransportServerOptions<typeof greetingTransport>>().toEqualTypeOf<Partial<GreetingOptions>>();
    expectTypeOf<TransportConnectOptions<typeof greetingTransport>>().toEqualTypeOf<Partial<GreetingOptions>>();
    expectTypeOf(greetingTransport.connect).parameter(1).toEqualTypeOf<(StreamConnectOptions & Partial<GreetingOptions>) | undefined>();
  });

  it('takes them through the plain Transport interface a daemon holds, and uses them on both sides', async () => {
    const plugin: Transport = greetingTransport;
    if (plugin.kind !== 'stream') throw new Error('expected a stream transport');
    const options: object = { greeting: 'from the server\n' };
    const server = plugin.createServer(async (conn) => {
      conn.write(await conn.readUntil('\n'));
    }, options);
    const path = join(directory, 'greet.sock');
    await server.bind(path);
    void server.serve();
    try {
      const client = await plugin.connect(plugin.parse(`greet://${path}`), { greeting: 'from the client\n' } as object);
      expect((await client.readUntil('\n')).toString()).toBe('from the server\n');
      expect((await client.readUntil('\n')).toString()).toBe('from the client\n');
      client.close();
    } finally {
      await server.close();
    }
  });

  it('refuses options of the wrong shape with a TypeError', async () => {
    expect(() => greetingTransport.createServer(() => {}, { greeting: 5 as unknown as string })).toThrow('Cannot use greeting 5: expected a string');
    await expect(greetingTransport.connect(join(directory, 'nobody.sock'), { greeting: 5 as unknown as string })).rejects.toThrow(TypeError);
  });
});
