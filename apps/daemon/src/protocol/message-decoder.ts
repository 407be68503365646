import { Unpackr } from 'msgpackr';
import { REQUEST_LIMITS, type DecoderLimits } from './limits.js';
import { RpcError, RpcErrorCode } from './rpc-error.js';

/**
 * msgpackr with plain MessagePack semantics: no records extension, maps as
 * objects (keys are checked to be strings other than `__proto__` before it
 * sees them), 64-bit integers as numbers when they fit (other clients send
 * 2^32 and up as uint64), as BigInt otherwise.
 */
// msgpackr 2.1 implements 'auto' but its typings list only the other three.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number' });

/** `__proto__` as UTF-8: a map key with these bytes is refused. */
const PROTO_KEY = Buffer.from('__proto__');

/** What one type byte announces. */
interface Header {
  /** Bytes of the header itself (type byte included). */
  size: number;
  /** Payload bytes after the header (strings, binaries, numbers). */
  payload: number;
  /** Child values that follow (an array's elements, a map's keys and values). */
  children: number;
  kind: 'scalar' | 'string' | 'binary' | 'array' | 'map';
}

/**
 * The incremental decoder of a control connection's byte stream: `push`
 * each chunk read, then `next()` until it returns `undefined`.
 *
 * Every limit is checked on the headers, before anything is allocated for a
 * message: it scans the MessagePack type bytes itself to find where one
 * top-level value ends, and hands only that complete, checked value's bytes
 * to msgpackr. Scanning is resumable: each byte is scanned once, however the
 * message is split into chunks (linear in the bytes received).
 *
 * Errors: `next()` throws an `RpcError` `PARSE_ERROR` (-32700) for a value
 * that is not an array at the top level (stray text, an HTTP probe), an
 * extension type (timestamps too), a reserved type byte, a map key that is
 * not a string or is `__proto__`, or any of the `limits` exceeded. After
 * that the stream cannot be resynchronised: every later `next()` throws the
 * same error; close the connection.
 * Cost: a message inside one chunk is decoded from that chunk (no copy); one
 * split across chunks is copied once into a single buffer.
 */
export class MessageDecoder {
  readonly #limits: DecoderLimits;
  /** Unconsumed chunks; the current message starts at `#head` in `#chunks[0]`. */
  #chunks: Buffer[] = [];
  #head = 0;
  /** The scan cursor: chunk index and offset of the next byte to scan. */
  #chunk = 0;
  #offset = 0;
  /** Bytes of the current message scanned so far. */
  #scanned = 0;
  /** Bytes buffered after the cursor. */
  #ahead = 0;
  /** Payload bytes still to skip before the next header. */
  #skip = 0;
  /** Values still expected at each open level (level 0: the one top-level value). */
  #remaining: number[] = [1];
  /** Whether each open level is a map (its even-numbered values are keys). */
  #isMap: boolean[] = [false];
  #items = 0;
  #failure: RpcError | undefined;

  constructor(limits: DecoderLimits = REQUEST_LIMITS) {
    this.#limits = limits;
  }

  /** Bytes held: the current incomplete message and anything after it. */
  get buffered(): number {
    return this.#scanned + this.#ahead;
  }

  /** Adds received bytes (kept by reference, not copied). Empty chunks are ignored. */
  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.#failure !== undefined) return;
    this.#chunks.push(chunk);
    this.#ahead += chunk.length;
  }

  /**
   * The next complete top-level value (always an array), or `undefined`
   * when the bytes so far end inside one. Throws `RpcError` `PARSE_ERROR`
   * as described on the class.
   */
  next(): unknown[] | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      return this.#scan() ? this.#take() : undefined;
    } catch (error) {
      this.#failure = error instanceof RpcError ? error : new RpcError(RpcErrorCode.PARSE_ERROR, `Cannot decode the message: ${(error as Error).message}`);
      this.#chunks = [];
      this.#ahead = 0;
      throw this.#failure;
    }
  }

  /** Scans on from the cursor; true once the current message is complete. */
  #scan(): boolean {
    for (;;) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, this.#ahead);
        this.#advance(step);
        this.#skip -= step;
        if (this.#skip > 0) return false;
      }
      while (this.#remaining.length > 0 && this.#remaining[this.#remaining.length - 1] === 0) {
        this.#remaining.pop();
        this.#isMap.pop();
      }
      const depth = this.#remaining.length;
      if (depth === 0) return true;
      const isKey = this.#isMap[depth - 1]! && this.#remaining[depth - 1]! % 2 === 0;
      const header = this.#readHeader(depth, isKey);
      if (header === undefined) return false;
      this.#remaining[depth - 1]!--;
      this.#advance(header.size);
      this.#checkSize(header.payload);
      this.#skip = header.payload;
      if (header.kind === 'array' || header.kind === 'map') {
        this.#remaining.push(header.children);
        this.#isMap.push(header.kind === 'map');
      }
    }
  }

  /**
   * Reads and checks the header at the cursor without consuming it;
   * `undefined` when its bytes have not all arrived.
   */
  #readHeader(depth: number, isKey: boolean): Header | undefined {
    const type = this.#peek(0);
    if (type < 0) return undefined;
    if (depth === 1 && this.#scanned === 0 && !startsArray(type)) {
      throw parseError(`a message must be a MessagePack array, and byte 0x${hex(type)} cannot start one`);
    }
    const lengthBytes = lengthFieldBytes(type);
    if (lengthBytes > this.#ahead - 1) return undefined;
    const header = describe(type, this.#readLength(lengthBytes));
    if (isKey) this.#checkKey(header);
    if (isKey && header.payload === PROTO_KEY.length && !this.#checkProtoKey(header.size)) return undefined;
    this.#checkLimits(header, depth);
    return header;
  }

  #checkKey(header: Header): void {
    if (header.kind !== 'string') throw parseError('map keys must be strings');
  }

  /** False when the key's bytes have not all arrived; throws for `__proto__`. */
  #checkProtoKey(headerSize: number): boolean {
    if (this.#ahead < headerSize + PROTO_KEY.length) return false;
    for (let i = 0; i < PROTO_KEY.length; i++) if (this.#peek(headerSize + i) !== PROTO_KEY[i]) return true;
    throw parseError('the map key "__proto__" is not allowed');
  }

  #checkLimits(header: Header, depth: number): void {
    const limits = this.#limits;
    if (++this.#items > limits.maxItems) throw parseError(`it holds more than ${limits.maxItems} values`);
    switch (header.kind) {
      case 'string':
      case 'binary':
        if (header.payload > limits.maxStringBytes) throw parseError(`a ${header.kind} of ${header.payload} bytes is over the limit of ${limits.maxStringBytes}`);
        break;
      case 'array':
        if (header.children > limits.maxArrayLength) throw parseError(`an array of ${header.children} elements is over the limit of ${limits.maxArrayLength}`);
        break;
      case 'map':
        if (header.children / 2 > limits.maxMapLength) throw parseError(`a map of ${header.children / 2} entries is over the limit of ${limits.maxMapLength}`);
        break;
      default:
        return;
    }
    if (depth > limits.maxDepth) throw parseError(`it nests deeper than ${limits.maxDepth} levels`);
  }

  /** Throws when the message, plus `announced` bytes not yet scanned, would pass the size limit. */
  #checkSize(announced: number): void {
    const max = this.#limits.maxMessageBytes;
    if (this.#scanned + announced > max) {
      throw parseError(`it is longer than the limit of ${max} bytes`);
    }
  }

  /** The byte `ahead` bytes after the cursor, or -1 if it has not arrived. */
  #peek(ahead: number): number {
    if (ahead >= this.#ahead) return -1;
    let index = this.#chunk;
    let offset = this.#offset + ahead;
    while (offset >= this.#chunks[index]!.length) offset -= this.#chunks[index++]!.length;
    return this.#chunks[index]![offset]!;
  }

  /** The big-endian unsigned length field of `bytes` bytes after the type byte (0 when none). */
  #readLength(bytes: number): number {
    let value = 0;
    for (let i = 1; i <= bytes; i++) value = value * 256 + this.#peek(i);
    return value;
  }

  #advance(bytes: number): void {
    this.#scanned += bytes;
    this.#ahead -= bytes;
    let offset = this.#offset + bytes;
    while (this.#chunk < this.#chunks.length && offset >= this.#chunks[this.#chunk]!.length) {
      offset -= this.#chunks[this.#chunk++]!.length;
    }
    this.#offset = offset;
  }

  /** Cuts the complete message out of the chunks, resets the scan and decodes it. */
  #take(): unknown[] {
    const bytes = this.#cut(this.#scanned);
    this.#scanned = 0;
    this.#remaining = [1];
    this.#isMap = [false];
    this.#items = 0;
    return unpackr.unpack(bytes) as unknown[];
  }

  /** Removes the first `length` bytes from the chunks (zero-copy when they lie in one). */
  #cut(length: number): Buffer {
    const first = this.#chunks[0]!;
    if (this.#head + length <= first.length) {
      const bytes = first.subarray(this.#head, this.#head + length);
      this.#head += length;
      if (this.#head === first.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
      this.#chunk = 0;
      this.#offset = this.#head;
      return bytes;
    }
    const bytes = Buffer.allocUnsafe(length);
    let copied = 0;
    let used = 0;
    while (copied < length) {
      const chunk = this.#chunks[used]!;
      const part = Math.min(chunk.length - this.#head, length - copied);
      chunk.copy(bytes, copied, this.#head, this.#head + part);
      copied += part;
      this.#head += part;
      if (this.#head === chunk.length) {
        used++;
        this.#head = 0;
      }
    }
    // One splice, not a shift per chunk: a message of many tiny chunks stays linear.
    this.#chunks.splice(0, used);
    this.#chunk = 0;
    this.#offset = this.#head;
    return bytes;
  }
}

/** fixarray, array16, array32: the only bytes a message can start with. */
function startsArray(type: number): boolean {
  return (type >= 0x90 && type <= 0x9f) || type === 0xdc || type === 0xdd;
}

/** How many length bytes follow a type byte (for sized types; 0 for the rest). */
function lengthFieldBytes(type: number): number {
  switch (type) {
    case 0xc4: case 0xd9:
      return 1;
    case 0xc5: case 0xda: case 0xdc: case 0xde:
      return 2;
    case 0xc6: case 0xdb: case 0xdd: case 0xdf:
      return 4;
    default:
      return 0;
  }
}

/** The header a type byte (and its length field, `length`) announces; throws for extensions and 0xc1. */
function describe(type: number, length: number): Header {
  if (type <= 0x7f || type >= 0xe0) return scalar(0);
  if (type <= 0x8f) return { size: 1, payload: 0, children: 2 * (type & 0x0f), kind: 'map' };
  if (type <= 0x9f) return { size: 1, payload: 0, children: type & 0x0f, kind: 'array' };
  if (type <= 0xbf) return { size: 1, payload: type & 0x1f, children: 0, kind: 'string' };
  const lengthBytes = lengthFieldBytes(type);
  switch (type) {
    case 0xc0: case 0xc2: case 0xc3:
      return scalar(0);
    case 0xc4: case 0xc5: case 0xc6:
      return { size: 1 + lengthBytes, payload: length, children: 0, kind: 'binary' };
    case 0xd9: case 0xda: case 0xdb:
      return { size: 1 + lengthBytes, payload: length, children: 0, kind: 'string' };
    case 0xdc: case 0xdd:
      return { size: 1 + lengthBytes, payload: 0, children: length, kind: 'array' };
    case 0xde: case 0xdf:
      return { size: 1 + lengthBytes, payload: 0, children: 2 * length, kind: 'map' };
    case 0xca: case 0xce: case 0xd2:
      return scalar(4);
    case 0xcb: case 0xcf: case 0xd3:
      return scalar(8);
    case 0xcc: case 0xd0:
      return scalar(1);
    case 0xcd: case 0xd1:
      return scalar(2);
    case 0xc1:
      throw parseError('byte 0xc1 is never used in MessagePack');
    default:
      // 0xc7–0xc9 ext8/16/32, 0xd4–0xd8 fixext (timestamps included).
      throw parseError(`extension types (byte 0x${hex(type)}) are not accepted`);
  }
}

function scalar(payload: number): Header {
  return { size: 1, payload, children: 0, kind: 'scalar' };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function parseError(reason: string): RpcError {
  return new RpcError(RpcErrorCode.PARSE_ERROR, `Cannot decode the message: ${reason}`);
}
