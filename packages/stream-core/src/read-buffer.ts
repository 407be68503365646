const EMPTY = Buffer.alloc(0);

/**
 * The chunk list of every buffer that has held nothing yet: shared, frozen
 * (a write to it throws), replaced by a list of its own on the first push.
 * A connection that never receives a byte allocates no list.
 */
const NO_CHUNKS = Object.freeze([]) as readonly Buffer[] as Buffer[];

/**
 * What to hand `Buffer#indexOf`: a one-byte needle as a number, which Node
 * searches without its buffer-search setup.
 */
function searchable(needle: Uint8Array): number | Uint8Array {
  return needle.length === 1 ? needle[0] : needle;
}

/**
 * Chunks compacted out of the list once this many have been consumed (and
 * they are over half of it): amortised O(1) per chunk, unlike `shift()`,
 * which is O(n) on a long list.
 */
const COMPACT_AFTER_CHUNKS = 64;

/**
 * The bytes a stream has received and not yet handed out: a list of chunks
 * with a read offset into the first.
 *
 * Positions are logical: 0 is the first unread byte. Nothing is copied on
 * the way in; `take` is a zero-copy `subarray` when the bytes lie inside one
 * chunk and one `Buffer.concat`-style copy when they span chunks.
 *
 * Cost: `indexOf(needle, from)` walks from a remembered cursor, so a caller
 * that searches again from where the previous search stopped (as
 * `readUntil` does) scans every byte once however many chunks a record
 * arrives in. The cursor is dropped by every `take`.
 */
export class ReadBuffer {
  #chunks: Buffer[] = NO_CHUNKS;
  /** Index of the first chunk with unread bytes. */
  #head = 0;
  /** Read offset into `#chunks[#head]`. */
  #offset = 0;
  #length = 0;
  /** Cursor: `#chunks[#cursorChunk]` starts at logical position `#cursorBase`. */
  #cursorChunk = 0;
  #cursorBase = 0;
  /** Storage the last `pushCopy` or `commitLent` wrote into, filled up to `#tailUsed`; the rest is free room. */
  #tail: Buffer | undefined;
  #tailUsed = 0;
  /** Storage lent by `lend` for the OS to read into, and where the lent part starts. */
  #lent: Buffer | undefined;
  #lentStart = 0;

  /** Unread bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Unread bytes in the first chunk: what can be taken without a copy. */
  get headLength(): number {
    return this.#length === 0 ? 0 : this.#chunks[this.#head].length - this.#offset;
  }

  /** Appends a chunk (kept by reference, never copied). Empty chunks are ignored. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#list().push(chunk);
    this.#length += chunk.length;
  }

  /** The chunk list, made on first use. */
  #list(): Buffer[] {
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    return this.#chunks;
  }

  /**
   * Appends a copy of `bytes`, for bytes in memory the caller reuses (a
   * socket's `onread` buffer). The copy first fills the free room of the
   * storage the previous copy went into, if that is still the last chunk, so
   * bytes that arrive over several reads lie contiguous and a later `take`
   * of them is zero-copy; the rest goes into new storage of
   * `max(rest, capacity)` bytes. Cost: one copy of `bytes`; an allocation
   * only when the room runs out.
   */
  pushCopy(bytes: Uint8Array, capacity: number): void {
    const from = this.#fillTail(bytes);
    if (from === bytes.length) return;
    const rest = bytes.length - from;
    const storage = Buffer.allocUnsafe(Math.max(rest, capacity));
    storage.set(from === 0 ? bytes : bytes.subarray(from), 0);
    this.#grow(storage, 0, rest);
  }

  /** Copies what fits of `bytes` into the tail's free room, growing the last chunk; returns how many. */
  #fillTail(bytes: Uint8Array): number {
    if (!this.#tailContinues()) return 0;
    const tail = this.#tail!;
    const used = this.#tailUsed;
    const n = Math.min(tail.length - used, bytes.length);
    if (n === 0) return 0;
    tail.set(n === bytes.length ? bytes : bytes.subarray(0, n), used);
    this.#grow(tail, used, n);
    return n;
  }

  /**
   * Whether bytes put in the tail's free room continue the last chunk: it
   * ends where the tail's used part ends (so no view handed out covers the
   * room).
   */
  #tailContinues(): boolean {
    const tail = this.#tail;
    const last = this.#chunks[this.#chunks.length - 1];
    return tail !== undefined && last !== undefined && last.buffer === tail.buffer && last.byteOffset + last.length === tail.byteOffset + this.#tailUsed;
  }

  /** Counts `n` bytes written at `at` in `storage` as received: the last chunk grows, or a new one starts. */
  #grow(storage: Buffer, at: number, n: number): void {
    if (storage === this.#tail && this.#tailContinues()) {
      const i = this.#chunks.length - 1;
      const last = this.#chunks[i];
      this.#chunks[i] = storage.subarray(last.byteOffset - storage.byteOffset, at + n);
      // A cursor past the end counted the chunk at its old length: move it
      // to the chunk's start, which stays where it was.
      if (this.#cursorChunk > i) {
        this.#cursorChunk = i;
        this.#cursorBase = this.#length - (last.length - (i === this.#head ? this.#offset : 0));
      }
    } else {
      this.#list().push(storage.subarray(at, at + n));
    }
    this.#tail = storage;
    this.#tailUsed = at + n;
    this.#length += n;
  }

  /**
   * Memory of this buffer's own for the OS to read the next `size` bytes
   * into (at most: the read may bring fewer): the tail's free room when
   * what arrives there continues the last chunk and at least `min` bytes
   * fit, else new storage of `size` bytes. What was read there is taken in with `commitLent`,
   * without a copy. The memory is this buffer's, so a read that never comes
   * (a close, an error) leaves nothing behind.
   */
  lend(size: number, min = size): Buffer {
    let storage = this.#tail;
    let at = this.#tailUsed;
    if (storage === undefined || !this.#tailContinues() || storage.length - at < min) {
      storage = Buffer.allocUnsafe(size);
      at = 0;
    }
    const end = Math.min(storage.length, at + size);
    this.#lent = storage;
    this.#lentStart = at;
    return at === 0 && end === storage.length ? storage : storage.subarray(at, end);
  }

  /** Whether `bytes` are a read into the memory of the last `lend`. */
  isLent(bytes: Uint8Array): boolean {
    const lent = this.#lent;
    return lent !== undefined && bytes.buffer === lent.buffer && bytes.byteOffset === lent.byteOffset + this.#lentStart;
  }

  /** Takes in the `n` bytes the OS read into the lent memory (after `isLent`), zero-copy. */
  commitLent(n: number): void {
    const storage = this.#lent!;
    this.#lent = undefined;
    if (n > 0) this.#grow(storage, this.#lentStart, n);
  }

  /**
   * Logical position of the first occurrence of `needle` that starts at or
   * after `from`, or -1. Finds occurrences split across any number of chunks.
   * `needle` must not be empty.
   */
  indexOf(needle: Uint8Array, from: number): number {
    const chunks = this.#chunks;
    if (from + needle.length > this.#length) return -1;
    // Fast path: the whole search lies in the head chunk.
    if (this.#head === chunks.length - 1) {
      const found = chunks[this.#head].indexOf(searchable(needle), this.#offset + from);
      return found < 0 ? -1 : found - this.#offset;
    }
    this.#seek(from);
    // A one-byte needle as a number here too: one call with bytes would
    // throw away V8's optimized code of Buffer#indexOf that the fast paths
    // share (its feedback then has a second kind of needle).
    const search = searchable(needle);
    for (let i = this.#cursorChunk, base = this.#cursorBase; i < chunks.length; i++) {
      const chunk = chunks[i];
      const start = i === this.#head ? this.#offset : 0;
      const size = chunk.length - start;
      const local = from > base ? from - base : 0;
      const found = chunk.indexOf(search, start + local);
      if (found >= 0) return base + found - start;
      if (needle.length > 1) {
        const spanning = this.#findSpanning(needle, i, start, Math.max(local, size - needle.length + 1));
        if (spanning >= 0) return base + spanning;
      }
      base += size;
      // Remember how far the walk got: the next search resumes from here.
      this.#cursorChunk = i + 1;
      this.#cursorBase = base;
    }
    return -1;
  }

  /**
   * First local offset >= `fromLocal` (relative to `start`) in chunk `i` where
   * `needle` begins and runs on into the following chunks, or -1.
   */
  #findSpanning(needle: Uint8Array, i: number, start: number, fromLocal: number): number {
    const chunk = this.#chunks[i];
    for (let p = start + Math.max(fromLocal, 0); p < chunk.length; p++) {
      if (chunk[p] === needle[0] && this.#matchesAt(needle, i, p)) return p - start;
    }
    return -1;
  }

  #matchesAt(needle: Uint8Array, i: number, p: number): boolean {
    let chunk = this.#chunks[i];
    for (let k = 0; k < needle.length; k++, p++) {
      while (p >= chunk.length) {
        if (++i >= this.#chunks.length) return false;
        chunk = this.#chunks[i];
        p = 0;
      }
      if (chunk[p] !== needle[k]) return false;
    }
    return true;
  }

  /**
   * Moves the cursor back, chunk by chunk, until it starts at or before
   * `from`. A search resumes a few bytes before where the last one ended (a
   * delimiter may straddle the end), so this is a step or two, never a walk
   * from the head.
   */
  #seek(from: number): void {
    while (from < this.#cursorBase && this.#cursorChunk > this.#head) {
      const i = --this.#cursorChunk;
      this.#cursorBase -= this.#chunks[i].length - (i === this.#head ? this.#offset : 0);
    }
  }

  /**
   * Removes and returns the bytes up to and including the first `needle`,
   * if it ends within the first `limit` bytes; otherwise `undefined` and
   * nothing is consumed. The hot path of line reading: a record inside the
   * head chunk costs one native search and one zero-copy view.
   */
  takeThrough(needle: Uint8Array, limit: number): Buffer | undefined {
    const chunk = this.#chunks[this.#head];
    if (chunk === undefined) return undefined;
    const start = this.#offset;
    // `searchable` and `#consume` written out: this runs once per line of readUntil.
    const found = needle.length === 1 ? chunk.indexOf(needle[0], start) : chunk.indexOf(needle, start);
    if (found >= 0) {
      const end = found + needle.length;
      if (end - start > limit) return undefined;
      if (end < chunk.length) {
        // Inside the head chunk: only the offset moves (the cursor is reset by every take).
        this.#offset = end;
        this.#length -= end - start;
        this.#cursorChunk = this.#head;
        this.#cursorBase = 0;
      } else {
        this.#consume(end - start);
      }
      return chunk.subarray(start, end);
    }
    if (this.#head === this.#chunks.length - 1) return undefined;
    // The head chunk is searched: only a match straddling its end is left.
    const at = this.indexOf(needle, Math.max(0, chunk.length - start - needle.length + 1));
    return at < 0 || at + needle.length > limit ? undefined : this.take(at + needle.length);
  }

  /**
   * Appends to `out` every record (through `needle`, at most `limit` bytes)
   * that lies wholly in the head chunk, consuming them; stops at the first
   * that does not. One native search and one view per record.
   */
  takeRecordsInHead(needle: Uint8Array, limit: number, out: Buffer[]): void {
    const chunk = this.#chunks[this.#head];
    if (chunk === undefined) return;
    const search = searchable(needle);
    let start = this.#offset;
    for (let found = chunk.indexOf(search, start); found >= 0; found = chunk.indexOf(search, start)) {
      const end = found + needle.length;
      if (end - start > limit) break;
      out.push(chunk.subarray(start, end));
      start = end;
    }
    if (start > this.#offset) this.#consume(start - this.#offset);
  }

  /**
   * Removes and returns the first `n` bytes (`n <= length`). Zero-copy when
   * they lie in one chunk; one copy otherwise.
   */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.#chunks[this.#head];
    const end = this.#offset + n;
    if (end <= first.length) {
      const out = this.#offset === 0 && end === first.length ? first : first.subarray(this.#offset, end);
      this.#consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.#copyInto(out, n);
    return out;
  }

  /** Puts `chunk` back in front of the unread bytes (kept by reference): a read that held bytes gives them back. */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#length === 0) {
      this.push(chunk);
      return;
    }
    if (this.#offset > 0) {
      this.#chunks[this.#head] = this.#chunks[this.#head].subarray(this.#offset);
      this.#offset = 0;
    }
    if (this.#head > 0) this.#chunks[--this.#head] = chunk;
    else this.#chunks.unshift(chunk);
    this.#length += chunk.length;
    this.#cursorChunk = this.#head;
    this.#cursorBase = 0;
  }

  /** Removes up to `target.length` bytes into `target`; returns how many. */
  takeInto(target: Uint8Array): number {
    const n = Math.min(target.length, this.#length);
    if (n > 0) this.#copyInto(target, n);
    return n;
  }

  /** Removes and returns the rest of the first chunk (zero-copy). */
  takeChunk(): Buffer {
    return this.take(this.headLength);
  }

  /** Returns the first `n` bytes decoded as latin1 (one char per byte) without consuming them. */
  latin1(n: number): string {
    let text = '';
    for (let i = this.#head, left = Math.min(n, this.#length); left > 0; i++) {
      const start = i === this.#head ? this.#offset : 0;
      const end = Math.min(this.#chunks[i].length, start + left);
      text += this.#chunks[i].toString('latin1', start, end);
      left -= end - start;
    }
    return text;
  }

  /** Drops everything. */
  clear(): void {
    this.#chunks = NO_CHUNKS;
    this.#tail = this.#lent = undefined;
    this.#head = this.#offset = this.#length = 0;
    this.#cursorChunk = this.#cursorBase = 0;
  }

  #copyInto(target: Uint8Array, n: number): void {
    let written = 0;
    while (written < n) {
      const chunk = this.#chunks[this.#head];
      const count = Math.min(chunk.length - this.#offset, n - written);
      target.set(chunk.subarray(this.#offset, this.#offset + count), written);
      written += count;
      this.#consume(count);
    }
  }

  /** Advances the read offset by `n` bytes within the head chunk. */
  #consume(n: number): void {
    this.#length -= n;
    this.#offset += n;
    this.#cursorChunk = this.#head;
    this.#cursorBase = 0;
    if (this.#offset < this.#chunks[this.#head].length) return;
    this.#offset = 0;
    if (++this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
      // An empty buffer holds on to no storage (an idle connection keeps nothing).
      this.#tail = undefined;
    } else if (this.#head >= COMPACT_AFTER_CHUNKS && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    this.#cursorChunk = this.#head;
  }
}
