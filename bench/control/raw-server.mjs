// The baseline: a MessagePack-RPC server on raw node:net and msgpackr that
// answers `status` with a map like the daemon's, and nothing else (no
// limits, no validation, no subscriptions). Forked by index.mjs with the
// socket path; sends 'ready' once it listens.
import { createServer } from 'node:net';
import { Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const startedAt = Date.now();

function status() {
  const memory = process.memoryUsage();
  return {
    name: 'evergreend', version: '0.1.0', pid: process.pid, node: process.version, startedAt, uptimeMs: Date.now() - startedAt,
    configFile: null, stateFile: '/tmp/state.json', logLevel: 'info',
    servers: { total: 1, listening: 1, paused: 0, stopping: 0 }, connections: 0, memory: { rss: memory.rss, heapUsed: memory.heapUsed },
  };
}

const server = createServer((socket) => {
  let leftover;
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    const bytes = leftover === undefined ? chunk : Buffer.concat([leftover, chunk]);
    leftover = undefined;
    try {
      unpackr.unpackMultiple(bytes, ([, msgid, method]) => {
        const reply = method === 'status' ? [1, msgid, null, status()] : [1, msgid, { code: -32601, message: `Cannot call "${method}": no such method` }, null];
        socket.write(packr.pack(reply));
      });
    } catch (error) {
      if (!error.incomplete) socket.destroy();
      else leftover = bytes.subarray(error.lastPosition);
    }
  });
});
server.listen(process.argv[2], () => process.send('ready'));
process.on('message', (message) => message === 'stop' && process.exit(0));
// The orchestrator is gone (even killed): so is this child.
process.on('disconnect', () => process.exit(0));
