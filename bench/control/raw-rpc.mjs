// The raw baselines' MessagePack-RPC server: node:net and msgpackr, no
// limits, no validation, no subscriptions. `methods` maps a name to a
// function of the params that returns the result or a promise of it.
import { createServer } from 'node:net';
import { Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const startedAt = Date.now();

/** A `status` result shaped like the daemon's. */
export function status() {
  const memory = process.memoryUsage();
  return {
    name: 'evergreend', version: '0.1.0', pid: process.pid, node: process.version, startedAt, uptimeMs: Date.now() - startedAt,
    configFile: null, stateFile: '/tmp/state.json', logLevel: 'info',
    servers: { total: 1, listening: 1, paused: 0, stopping: 0 }, connections: 0, memory: { rss: memory.rss, heapUsed: memory.heapUsed },
  };
}

/** Answers requests on the Unix socket at `path` with `methods`; calls `ready` once it listens. */
export function serveRpc(path, methods, ready) {
  const server = createServer((socket) => {
    let leftover;
    const answer = (msgid, method, params) => {
      const call = methods[method];
      if (call === undefined) return socket.write(packr.pack([1, msgid, { code: -32601, message: `Cannot call "${method}": no such method` }, null]));
      const result = call(params);
      if (!(result instanceof Promise)) return socket.write(packr.pack([1, msgid, null, result]));
      result.then((value) => socket.write(packr.pack([1, msgid, null, value])), (error) => socket.write(packr.pack([1, msgid, { code: -32603, message: error.message }, null])));
    };
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      const bytes = leftover === undefined ? chunk : Buffer.concat([leftover, chunk]);
      leftover = undefined;
      try {
        unpackr.unpackMultiple(bytes, ([, msgid, method, params]) => answer(msgid, method, params));
      } catch (error) {
        if (!error.incomplete) socket.destroy();
        else leftover = bytes.subarray(error.lastPosition);
      }
    });
  });
  server.listen(path, ready);
  return server;
}
