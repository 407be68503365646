// The transports every benchmark runs over, each described once: how to
// listen with raw `node:net`, how to make and bind our server, and how the
// (raw, shared) load client connects. A benchmark is written once against
// this shape and run over each of them.
//
//   name                       'tcp' | 'unix' (BENCH_TRANSPORTS filters on it)
//   label                      how the results name it
//   listenRaw(onSocket, dir)   -> { server: net.Server, address }
//   listenOurs(handler, dir, { nodeChunks })
//                              -> { server: TCPServer | PipeServer, address }, serving;
//                                 nodeChunks: accepted connections read Node's own
//                                 chunks (`readIntoMemory: false`), for comparison
//   connectOurs(address)       -> TCPClient | PipeClient, connected
//   connectRaw(address)        -> net.Socket, connecting
//
// Both servers accept half-open connections (a server writes its count after
// the client's FIN) and, over TCP, disable Nagle as TCPServer does by default,
// so the raw baseline sends a reply at once just as ours does.
import net from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { TCPClient, TCPConnection, TCPServer } from '@evergreen/tcp';
import { PipeClient, PipeConnection, PipeServer } from '@evergreen/pipe';

/** A TCPServer whose connections read Node's own chunks (the other way an accepted socket can be read). */
class NodeChunksTCPServer extends TCPServer {
  _createConnection(socket) {
    return new TCPConnection(socket, { ...this._connectionOptions, readIntoMemory: false });
  }
}

/** The same for a PipeServer. */
class NodeChunksPipeServer extends PipeServer {
  _createConnection(socket) {
    return new PipeConnection(socket, { ...this._connectionOptions, readIntoMemory: false });
  }
}

const LOOPBACK = '127.0.0.1';

/** Loopback TCP: 127.0.0.1, port 0 read back after binding. */
export const tcp = {
  name: 'tcp',
  label: 'TCP',
  async listenRaw(onSocket) {
    const server = await listen(net.createServer({ allowHalfOpen: true, noDelay: true }, onSocket), { host: LOOPBACK, port: 0 });
    return { server, address: { host: LOOPBACK, port: server.address().port } };
  },
  async listenOurs(handler, _dir, { nodeChunks = false } = {}) {
    const server = nodeChunks ? new NodeChunksTCPServer(handler) : new TCPServer(handler);
    await server.bind({ host: LOOPBACK, port: 0 });
    void server.serve();
    return { server, address: { host: LOOPBACK, port: server.sockname.port } };
  },
  connectRaw(address) {
    return net.connect({ ...address, noDelay: true });
  },
  async connectOurs(address) {
    const client = new TCPClient();
    await client.connect(address);
    return client;
  },
};

/** A Unix domain socket in the run's temporary directory, named after the server's pid. */
export const unix = {
  name: 'unix',
  label: 'Unix socket',
  async listenRaw(onSocket, dir) {
    const path = socketPath(dir);
    const server = await listen(net.createServer({ allowHalfOpen: true }, onSocket), { path });
    return { server, address: path };
  },
  async listenOurs(handler, dir, { nodeChunks = false } = {}) {
    const path = socketPath(dir);
    const server = nodeChunks ? new NodeChunksPipeServer(handler) : new PipeServer(handler);
    await server.bind(path);
    void server.serve();
    return { server, address: path };
  },
  connectRaw(path) {
    return net.connect({ path });
  },
  async connectOurs(path) {
    const client = new PipeClient();
    await client.connect(path);
    return client;
  },
};

/** Every transport, in the order the results are printed. */
export const transports = [tcp, unix];

/** The transport called `name`; throws for an unknown one. */
export function transportNamed(name) {
  const transport = transports.find((t) => t.name === name);
  if (transport === undefined) throw new TypeError(`Cannot find the transport "${name}": expected one of ${transports.map((t) => t.name).join(', ')}`);
  return transport;
}

function socketPath(dir) {
  return join(dir, `${process.pid}.sock`);
}

async function listen(server, options) {
  server.listen(options);
  await once(server, 'listening');
  return server;
}
