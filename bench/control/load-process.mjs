// A load child of the control benchmark, forked by index.mjs: it runs one
// operation per IPC request `{ id, op, ...params }` and answers
// `{ id, result }`. Ops that run `untilStopped` end on `{ op: 'stop' }`.
// The rates are measured here, where the work is known to be done.
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RpcConnection } from './rpc-connection.mjs';

const PUSH_CHUNK = Buffer.alloc(1024 * 1024, 0x5a);
let stopRequested = false;

const ops = {
  /** `count` sequential `status` calls on one connection: every latency, in ms. */
  async latency({ socket, count }) {
    const rpc = await RpcConnection.connect(socket);
    try {
      const samples = new Array(count);
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        await rpc.call('status');
        samples[i] = performance.now() - start;
      }
      return { samples };
    } finally {
      rpc.close();
    }
  },

  /** `clients` connections, each keeping `depth` status calls in flight, for `count` calls each or until stopped. */
  async pipelined({ socket, clients, depth, count, untilStopped }) {
    const connections = await Promise.all(Array.from({ length: clients }, () => RpcConnection.connect(socket)));
    let requests = 0;
    const start = performance.now();
    const more = (sent) => (untilStopped ? !stopRequested : sent < count);
    const lane = async (rpc) => {
      let sent = 0;
      const worker = async () => {
        while (more(sent)) {
          sent++;
          await rpc.call('status');
          requests++;
        }
      };
      await Promise.all(Array.from({ length: depth }, worker));
    };
    try {
      await Promise.all(connections.map(lane));
      return { requests, seconds: (performance.now() - start) / 1000 };
    } finally {
      for (const rpc of connections) rpc.close();
    }
  },

  /** Starts the sink (counts and drops every byte) on loopback port 0. */
  async sink() {
    sink.server = createServer((socket) => socket.on('data', (chunk) => sink.count(chunk.length)).on('error', () => {}));
    sink.server.listen(0, '127.0.0.1');
    await once(sink.server, 'listening');
    return { port: sink.server.address().port };
  },

  /** Pushes `bytes` (or until stopped) through the relay at `address`; done when the sink has them all. */
  async push({ host, port, bytes, untilStopped }) {
    const socket = connect({ host, port });
    await once(socket, 'connect');
    const base = sink.received;
    const start = performance.now();
    let sent = 0;
    while (untilStopped ? !stopRequested : sent < bytes) {
      sent += PUSH_CHUNK.length;
      if (!socket.write(PUSH_CHUNK)) await once(socket, 'drain');
    }
    await sink.reached(base + sent);
    const seconds = (performance.now() - start) / 1000;
    socket.destroy();
    return { bytes: sent, seconds };
  },
};

/** The sink's byte count, and who waits for it to reach a figure. */
const sink = {
  server: undefined,
  received: 0,
  waiter: undefined,
  count(bytes) {
    this.received += bytes;
    if (this.waiter !== undefined && this.received >= this.waiter.target) this.waiter.resolve();
  },
  reached(target) {
    if (this.received >= target) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { target, resolve }));
  },
};

process.on('message', async ({ id, op, ...params }) => {
  if (op === 'stop') {
    stopRequested = true;
    return;
  }
  if (op === 'exit') process.exit(0);
  stopRequested = false;
  try {
    process.send({ id, result: await ops[op](params) });
  } catch (error) {
    process.send({ id, error: error.stack ?? String(error) });
  }
});
// The orchestrator is gone (even killed): so is this child.
process.on('disconnect', () => process.exit(0));
