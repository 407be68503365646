import { createHash, type Hash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterTest } from './harness.js';
import { Payload, type Transfer } from './payload.js';

/**
 * A byte-exact transfer over UDP, both ways at once, that survives the
 * datagrams loopback drops under load: stop-and-wait. The client sends
 * chunk `seq` (a 4-byte big-endian number, then up to {@link CHUNK_BYTES}
 * of its payload) and resends it until the reply for `seq` arrives; the
 * upstream answers each new `seq` with chunk `seq` of its own payload, and a
 * resent one with the same reply again. Both payloads are `size` bytes, so
 * they take the same number of chunks.
 */

/**
 * Payload bytes per datagram: with the 4-byte header a datagram is 32 KiB.
 * Loopback charges about 33 KiB of receive buffer for one, so the 200
 * datagrams of 200 clients waiting at once (about 6.6 MiB) fit the 8 MiB
 * Linux grants a 4 MiB `SO_RCVBUF`; 60 KiB datagrams would not, and 8 KiB
 * ones cost four times the round trips.
 */
export const CHUNK_BYTES = 32 * 1024 - 4;
/**
 * How long a client first waits for a reply before it sends the chunk again:
 * 1 s, TCP's initial retransmission timeout (RFC 6298). With 200 clients in
 * one process on 2 shared cores a round trip can take a few hundred ms; a
 * shorter wait resends datagrams that were only queued, and those duplicates
 * overflow the daemon's buffer. Each resend doubles the wait (up to
 * MAX_WAIT_MS), so a loaded loopback is not flooded with resends.
 */
const FIRST_WAIT_MS = 1_000;
const MAX_WAIT_MS = 2_000;
/** The most times one chunk is sent: a chunk gives up after about 27 s. */
const MAX_SENDS = 14;
/** The upstream's receive buffer: it hears every client at once (the kernel caps it at net.core.rmem_max). */
const UPSTREAM_RECV_BUFFER = 4 * 1024 * 1024;

function datagram(seq: number, chunk: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(seq);
  return Buffer.concat([header, chunk]);
}

/** A UDP socket on 127.0.0.1, port 0, closed after the test. */
export async function boundSocket(recvBufferSize?: number): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', recvBufferSize });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  afterTest(() => socket.close());
  return socket;
}

/** One client flow as the upstream sees it. */
interface Flow {
  next: number;
  payload: Payload;
  received: Hash;
  bytes: number;
  lastReply: Buffer | undefined;
}

/** The upstream's side: every flow (client address and port) answered until its `size` bytes came; `transfers` fills as flows finish. */
export async function datagramUpstream(size: number): Promise<{ uri: string; transfers: Transfer[] }> {
  const socket = await boundSocket(UPSTREAM_RECV_BUFFER);
  const chunks = Math.ceil(size / CHUNK_BYTES);
  const flows = new Map<string, Flow>();
  const transfers: Transfer[] = [];
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    const key = `${from.address}:${from.port}`;
    let flow = flows.get(key);
    if (flow === undefined) flows.set(key, (flow = { next: 0, payload: new Payload(size), received: createHash('sha256'), bytes: 0, lastReply: undefined }));
    const seq = message.readUInt32BE(0);
    if (seq === flow.next && seq < chunks) {
      flow.received.update(message.subarray(4));
      flow.bytes += message.length - 4;
      flow.lastReply = datagram(seq, flow.payload.next(CHUNK_BYTES));
      flow.next += 1;
      if (flow.next === chunks) transfers.push({ sent: flow.payload.digest(), received: { bytes: flow.bytes, hash: flow.received.digest('hex') } });
    } else if (seq !== flow.next - 1) {
      return; // a stale duplicate
    }
    socket.send(flow.lastReply!, from.port, from.address);
  });
  return { uri: `udp://127.0.0.1:${socket.address().port}`, transfers };
}

/** The client's side: sends its `size` bytes to `uri` chunk by chunk, taking the upstream's chunk from each reply. */
export async function datagramClient(uri: string, size: number): Promise<Transfer> {
  const { hostname, port } = new URL(uri);
  const socket = await boundSocket();
  const payload = new Payload(size);
  const received = createHash('sha256');
  let bytes = 0;
  let awaited = -1;
  let arrived: (() => void) | undefined;
  socket.on('message', (message: Buffer) => {
    if (message.readUInt32BE(0) !== awaited) return; // a reply to a chunk sent twice
    awaited = -1;
    received.update(message.subarray(4));
    bytes += message.length - 4;
    arrived?.();
  });
  for (let seq = 0; !payload.done; seq++) {
    const message = datagram(seq, payload.next(CHUNK_BYTES));
    awaited = seq;
    for (let sends = 0; awaited === seq; sends++) {
      if (sends === MAX_SENDS) throw new Error(`Cannot transfer over ${uri}: chunk ${seq} got no reply after ${MAX_SENDS} sends`);
      socket.send(message, Number(port), hostname);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(FIRST_WAIT_MS * 2 ** sends, MAX_WAIT_MS));
        arrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
  return { sent: payload.digest(), received: { bytes, hash: received.digest('hex') } };
}
