// How a benchmark declares its servers under test: a raw `node:net` handler
// or one of ours, each started over any transport by the server child
// (server-process.mjs) and counted the cheapest way each allows, so that
// counting adds nothing per connection to either side's memory.

/** Every socket of a raw server gets this 'error' listener: a peer that resets must not crash the server. */
const ignoreError = () => {};

/**
 * A raw `node:net` server calling `handle(socket)` for each connection.
 * Returns `start(transport, dir)` -> `{ address, connections() }`.
 */
export function rawServer(handle) {
  return async (transport, dir) => {
    const { server, address } = await transport.listenRaw((socket) => {
      socket.on('error', ignoreError);
      handle(socket);
    }, dir);
    const connections = () => new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
    return { address, connections };
  };
}

/**
 * One of our servers (TCPServer, PipeServer) with `handle(conn)` as its
 * handler (`options`: see transports.mjs `listenOurs`). Returns `start(transport, dir)` -> `{ address, connections() }`.
 */
export function ourServer(handle, options) {
  return async (transport, dir) => {
    const { server, address } = await transport.listenOurs(handle, dir, options);
    return { address, connections: () => server.connections.size };
  };
}
