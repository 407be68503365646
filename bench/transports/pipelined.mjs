// pipelined: a RESP (Redis protocol) GET server under 50 load clients, each
// keeping 16 requests in flight (and, for comparison, 1: strict request/
// response), for a few seconds a round. Four servers in their own
// processes:
//   raw          node:net, parsing every complete command of a 'data' chunk
//                and writing their replies as one concatenated chunk (what a
//                hand-tuned server does);
//   ours         the straight-line handler a user writes from the READMEs:
//                one `readUntil`/`readBytes` per command part, one
//                `conn.write(reply)` per reply — the stream coalesces the
//                writes of one turn of the event loop into one send;
//   uncoalesced  the same handler with `coalesceBytes: 0` (every write sent
//                at once: the write path before coalescing), for information;
//   floor        the same handler over a bare reader (`BareReader`: a read
//                is an indexOf, a subarray and a resolved promise) on
//                node:net: what its five awaits per request cost, whatever
//                stream it reads — the best any stream could reach.
// Target: ours >= 0.9x raw requests/s with 16 in flight; with 1 in flight,
// ours no worse than before coalescing (the uncoalesced figure).
//
// The whole comparison runs three times (fresh server processes each run);
// each run's median ratio is printed, then the median of the three runs
// against the target. `npm run bench:pipelined` runs it alone.
//
// What is timed: the load client's clock from the first request to the last
// reply. When the time is up no client sends again, and the round ends when
// every request sent has been answered. Every reply is checked byte for byte.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TCPServer } from '@evergreen/tcp';
import { PipeServer } from '@evergreen/pipe';
import { median } from '../runner.mjs';
import { sized } from './options.mjs';
import { rawServer } from './servers.mjs';
import { compareServers } from './measure.mjs';
import { closeRawSocket, connectRawSocket } from './raw-client-socket.mjs';

const CLIENTS = 50;
const PIPELINE_DEPTH = 16;
const DURATION_MS = sized(3000, 1000);
const ROUNDS = sized(3, 1);
const RUNS = 3;
const TARGET = 0.9;

const KEY = 'key:000000000042';
const VALUE = 'x'.repeat(32);
const CRLF = Buffer.from('\r\n');
/** `GET key` as a RESP array of bulk strings, as redis-benchmark sends it. */
const REQUEST = Buffer.from(`*2\r\n$3\r\nGET\r\n$${KEY.length}\r\n${KEY}\r\n`);
const REPLY = Buffer.from(`$${VALUE.length}\r\n${VALUE}\r\n`);
/** Most requests one client write sends: its whole window. */
const REQUESTS = Buffer.concat(Array.from({ length: PIPELINE_DEPTH }, () => REQUEST));
/** Replies laid end to end, long enough to check any chunk (at most 64 KiB) at any phase. */
const REPLIES = Buffer.concat(Array.from({ length: Math.ceil((64 * 1024) / REPLY.length) + 2 }, () => REPLY));

// ── The server side: one store and one command table for every server ─────

const store = new Map([[KEY, Buffer.from(`$${VALUE.length}\r\n${VALUE}\r\n`)]]);
const NIL = Buffer.from('$-1\r\n');
const PONG = Buffer.from('+PONG\r\n');
const OK = Buffer.from('+OK\r\n');

/** The reply to one command (its arguments as Buffers). */
function execute(args) {
  const name = args[0]?.toString('latin1').toUpperCase();
  if (name === 'GET' && args.length === 2) return store.get(args[1].toString('latin1')) ?? NIL;
  if (name === 'SET' && args.length === 3) {
    const value = args[2];
    store.set(args[1].toString('latin1'), Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, CRLF]));
    return OK;
  }
  if (name === 'PING') return PONG;
  return Buffer.from(`-ERR unknown command '${name}'\r\n`);
}

/** The number after the type byte of a RESP header line (`*2\r\n`, `$3\r\n`), CRLF excluded. */
function headerNumber(line, end = line.length) {
  return Number.parseInt(line.toString('latin1', 1, end - 2), 10);
}

/** Our handler, written as the READMEs teach: one read per command part, one write per reply. */
async function serveCommands(conn) {
  for (;;) {
    const header = await conn.readUntil('\r\n', { maxBytes: 64 });
    if (header.length === 0) return;
    const count = headerNumber(header);
    const args = new Array(count);
    for (let i = 0; i < count; i++) {
      const length = headerNumber(await conn.readUntil('\r\n', { maxBytes: 64 }));
      args[i] = (await conn.readBytes(length + 2)).subarray(0, length);
    }
    conn.write(execute(args));
  }
}

/**
 * The raw handler: parses every complete command in what has arrived and
 * writes their replies as one chunk per 'data' event; an incomplete command
 * waits, with the bytes after it, for the next chunk.
 */
function serveChunks(socket) {
  let pending = null;
  socket.on('data', (chunk) => {
    const bytes = pending === null ? chunk : Buffer.concat([pending, chunk]);
    const replies = [];
    let offset = 0;
    for (;;) {
      const parsed = parseCommand(bytes, offset);
      if (parsed === undefined) break;
      replies.push(execute(parsed.args));
      offset = parsed.end;
    }
    pending = offset === bytes.length ? null : bytes.subarray(offset);
    if (replies.length > 0) socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
  });
  socket.once('end', () => socket.end());
}

/** One command of `bytes` at `offset`: `{ args, end }`, or undefined when it is not all there. */
function parseCommand(bytes, offset) {
  let lineEnd = bytes.indexOf(CRLF, offset);
  if (lineEnd < 0) return undefined;
  const count = headerNumber(bytes.subarray(offset, lineEnd + 2));
  let at = lineEnd + 2;
  const args = new Array(count);
  for (let i = 0; i < count; i++) {
    lineEnd = bytes.indexOf(CRLF, at);
    if (lineEnd < 0) return undefined;
    const length = headerNumber(bytes.subarray(at, lineEnd + 2));
    at = lineEnd + 2;
    if (bytes.length < at + length + 2) return undefined;
    args[i] = bytes.subarray(at, at + length);
    at += length + 2;
  }
  return { args, end: at };
}

/**
 * The floor of the straight-line handler: `serveCommands` itself, run over a
 * reader with no machinery (each read one `indexOf` or length check, one
 * `subarray`, one resolved promise; replies sent as one chunk at the end of
 * the turn). What it costs above raw is what one `await` per command part
 * costs, whatever stream the handler reads: no stream can do better.
 */
class BareReader {
  #bytes = Buffer.alloc(0);
  #offset = 0;
  #waiting = null;
  #replies = [];
  #socket;

  constructor(socket) {
    this.#socket = socket;
  }

  push(chunk) {
    this.#bytes = this.#offset < this.#bytes.length ? Buffer.concat([this.#bytes.subarray(this.#offset), chunk]) : chunk;
    this.#offset = 0;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.();
  }

  readUntil(delimiter) {
    const found = this.#bytes.indexOf(delimiter, this.#offset);
    if (found < 0) return this.#more().then(() => this.readUntil(delimiter));
    return Promise.resolve(this.#take(found + delimiter.length - this.#offset));
  }

  readBytes(n) {
    if (this.#bytes.length - this.#offset < n) return this.#more().then(() => this.readBytes(n));
    return Promise.resolve(this.#take(n));
  }

  write(reply) {
    if (this.#replies.length === 0) process.nextTick(() => this.#send());
    this.#replies.push(reply);
  }

  #send() {
    const replies = this.#replies;
    this.#replies = [];
    this.#socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
  }

  #take(n) {
    const start = this.#offset;
    this.#offset += n;
    return this.#bytes.subarray(start, start + n);
  }

  #more() {
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}

/** `serveCommands` over a `BareReader` fed by the socket's chunks. */
function serveBare(socket) {
  const reader = new BareReader(socket);
  socket.on('data', (chunk) => reader.push(chunk));
  socket.once('end', () => socket.end());
  void serveCommands(reader);
}

/** One of our servers over `transport` with `serveCommands` and connection `options`. */
function ourServer(options) {
  return async (transport, dir) => {
    const Server = transport.name === 'tcp' ? TCPServer : PipeServer;
    const server = new Server(serveCommands, options);
    const address = transport.name === 'tcp' ? { host: '127.0.0.1', port: 0 } : `${dir}/${process.pid}.sock`;
    await server.bind(address);
    void server.serve();
    return { address: transport.name === 'tcp' ? { host: '127.0.0.1', port: server.sockname.port } : address, connections: () => server.connections.size };
  };
}

export const servers = {
  raw: rawServer(serveChunks),
  ours: ourServer({}),
  uncoalesced: ourServer({ coalesceBytes: 0 }),
  floor: rawServer(serveBare),
};

// ── The load client: raw node:net, the same for every server ─────────────

export const load = {
  async requests({ transport, address, clients, depth, durationMs }) {
    const sockets = await Promise.all(Array.from({ length: clients }, () => connectRawSocket(transport, address)));
    let answered = 0;
    let running = true;
    const start = performance.now();
    const finished = sockets.map((socket) => pipeline(socket, depth, () => running, (n) => (answered += n)));
    await sleep(durationMs);
    running = false;
    try {
      await Promise.all(finished);
      return { units: answered, seconds: (performance.now() - start) / 1000 };
    } finally {
      await Promise.all(sockets.map(closeRawSocket));
    }
  },
};

/**
 * Keeps `depth` requests in flight on `socket` while `running()`: each reply
 * that completes sends one more (all those of a chunk in one write).
 * Resolves once every request sent has been answered; rejects on a wrong
 * byte or a socket error.
 */
function pipeline(socket, depth, running, count) {
  return new Promise((resolve, reject) => {
    let inFlight = depth;
    let phase = 0;
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      if (!chunk.equals(REPLIES.subarray(phase, phase + chunk.length))) {
        reject(new Error(`Cannot check the reply: unexpected bytes ${JSON.stringify(chunk.toString('latin1', 0, 64))}`));
        socket.destroy();
        return;
      }
      const total = phase + chunk.length;
      const replies = Math.floor(total / REPLY.length);
      phase = total % REPLY.length;
      count(replies);
      inFlight -= replies;
      if (running()) {
        socket.write(REQUESTS.subarray(0, replies * REQUEST.length));
        inFlight += replies;
      } else if (inFlight === 0) resolve();
    });
    socket.write(REQUESTS.subarray(0, depth * REQUEST.length));
  });
}


// ── The comparison ───────────────────────────────────────────────────────

/** Runs the pipelined comparison over `transport` three times; prints each run and the verdicts on the medians. */
export async function run(transport) {
  const byDepth = { [PIPELINE_DEPTH]: [], 1: [] };
  for (let i = 1; i <= RUNS; i++) {
    console.log(`pipelined run ${i} of ${RUNS} [${transport.label}]`);
    for (const depth of [PIPELINE_DEPTH, 1]) {
      const results = await compareServers({
        benchmark: 'pipelined',
        transport,
        unit: 'requests',
        rounds: ROUNDS,
        load: { op: 'requests', params: { clients: CLIENTS, depth, durationMs: DURATION_MS } },
        contenders: [
          { server: 'ours', name: `  RESP GET ${CLIENTS} clients x ${depth} in flight: one write per reply vs raw batch per chunk` },
          { server: 'uncoalesced', name: `  RESP GET ${CLIENTS} clients x ${depth} in flight: one write per reply, uncoalesced, vs raw` },
          { server: 'floor', name: `  RESP GET ${CLIENTS} clients x ${depth} in flight: the same handler over a bare reader (the floor of its awaits) vs raw` },
        ],
      });
      byDepth[depth].push(Object.fromEntries(results.map((r, index) => [['ours', 'uncoalesced', 'floor'][index], r.ratio])));
    }
  }
  return [verdict(transport, PIPELINE_DEPTH, byDepth[PIPELINE_DEPTH], (ours) => ours >= TARGET, `target >= ${TARGET}x raw`), verdict(transport, 1, byDepth[1], (ours, uncoalesced) => ours >= uncoalesced * 0.97, 'target: no worse than uncoalesced (within 3%)')];
}

/** Prints the three runs' ratios of one depth and whether their median meets `meets(ours, uncoalesced)`. */
function verdict(transport, depth, runs, meets, goal) {
  const ours = median(runs.map((r) => r.ours));
  const uncoalesced = median(runs.map((r) => r.uncoalesced));
  const ok = meets(ours, uncoalesced);
  const list = (key) => runs.map((r) => `${r[key].toFixed(2)}x`).join(', ');
  const name = `pipelined RESP GET ${CLIENTS} clients x ${depth} in flight [${transport.label}]`;
  const floor = median(runs.map((r) => r.floor));
  console.log(
    `${name}: ours/raw runs ${list('ours')}, median ${ours.toFixed(2)}x; uncoalesced/raw runs ${list('uncoalesced')}, median ${uncoalesced.toFixed(2)}x; ` +
      `floor/raw runs ${list('floor')}, median ${floor.toFixed(2)}x, so ours/floor ${(ours / floor).toFixed(2)}x (${goal}: ${ok ? 'met' : 'MISSED'})`,
  );
  return { name, ratio: ours, target: depth === 1 ? undefined : TARGET, ok };
}
