import { createCipheriv, createHash, randomBytes, type Cipher } from 'node:crypto';
import type { Socket } from 'node:net';

/** The most bytes one `next` makes. */
export const MAX_CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(MAX_CHUNK);

/**
 * Pseudo-random payloads for byte-exact transfer checks: each is an AES-CTR
 * keystream of its own random key (fast, and distinct per stream, so bytes
 * that went to the wrong connection are caught), generated chunk by chunk
 * and hashed as it goes, so 4 MiB × 400 streams never sit in memory.
 */
export class Payload {
  readonly size: number;
  readonly #cipher: Cipher;
  readonly #hash = createHash('sha256');
  #made = 0;

  constructor(size: number) {
    this.size = size;
    this.#cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  }

  /** The next `n` (≤ {@link MAX_CHUNK}) bytes; fewer at the end, none when all are made. */
  next(n: number): Buffer {
    const length = Math.min(n, MAX_CHUNK, this.size - this.#made);
    const chunk = this.#cipher.update(ZEROS.subarray(0, length));
    this.#hash.update(chunk);
    this.#made += length;
    return chunk;
  }

  get done(): boolean {
    return this.#made === this.size;
  }

  /** Hex SHA-256 of every byte made; call once, when done. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** Writes a fresh payload of `size` bytes to `socket` with backpressure, then shuts its write side; resolves the payload's hash. */
export async function sendPayload(socket: Socket, size: number): Promise<string> {
  const payload = new Payload(size);
  while (!payload.done) {
    if (!socket.write(payload.next(MAX_CHUNK))) await drainedOrClosed(socket);
    if (socket.destroyed) throw new Error('Cannot send: the socket closed before the whole payload was written');
  }
  socket.end();
  return payload.digest();
}

/** Resolves once `socket` can take more writes, or has closed. */
function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** What a socket received up to its peer's FIN: byte count and hex SHA-256. */
export interface Received {
  bytes: number;
  hash: string;
}

/** Reads `socket` until its peer's FIN; rejects if it errors or closes first. */
export function receivePayload(socket: Socket): Promise<Received> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    socket.once('end', () => resolve({ bytes, hash: hash.digest('hex') }));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`Cannot receive: the socket closed without a FIN after ${bytes} bytes`)));
  });
}

/** One side of a transfer: the hash of what it sent and what it received. */
export interface Transfer {
  sent: string;
  received: Received;
}

/** Sends a payload of `size` while receiving the peer's, both to the end. */
export async function exchangePayloads(socket: Socket, size: number): Promise<Transfer> {
  const [sent, received] = await Promise.all([sendPayload(socket, size), receivePayload(socket)]);
  return { sent, received };
}
