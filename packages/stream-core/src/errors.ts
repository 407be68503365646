import { errnoOf, errorcode, strerror } from '@evergreen/errno';

/**
 * The kinds a transport error can also be. `kinds` lists the classes an error
 * answers `instanceof` for beyond its own prototype chain, so one object can be
 * both a `TCPError` (its class) and a `StreamClosedError` (its kind).
 */
const kindsOf = new WeakMap<object, readonly ErrorKind[]>();

type ErrorKind = abstract new (...args: never[]) => StreamError;

/** What every evergreen error may carry beyond `Error`. */
export interface StreamErrorOptions {
  /** The original error (a Node system error, an abort reason, …). */
  cause?: unknown;
  /** The number Node uses for this error on this platform (`@evergreen/errno`). */
  errno?: number;
  /** The error's name (`'ECONNRESET'`). */
  code?: string;
}

/**
 * Base of every error a stream raises. Carries `errno`/`code` when a system
 * error caused it (copied from the Node error in `cause`).
 *
 * `instanceof` also honours kinds: an error built by {@link StreamErrorFactory}
 * for a transport class is an instance of that class *and* of the kind
 * (`StreamClosedError`, …) whose name it carries in `err.name`.
 */
export class StreamError extends Error {
  readonly errno?: number;
  readonly code?: string;

  constructor(message: string, options: StreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.errno !== undefined) this.errno = options.errno;
    if (options.code !== undefined) this.code = options.code;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const kinds = typeof value === 'object' && value !== null ? kindsOf.get(value) : undefined;
    return kinds !== undefined && kinds.some((kind) => kind === this || kind.prototype instanceof this);
  }
}

/** Any operation on a stream that was closed, or a write after `shutdown()`. */
export class StreamClosedError extends StreamError {}

/**
 * The stream ended before a read could be satisfied. `partial` holds the bytes
 * that were buffered (they are consumed: nothing is lost, nothing is read twice).
 */
export class IncompleteReadError extends StreamError {
  readonly partial: Buffer = Buffer.alloc(0);
}

/**
 * A read's `maxBytes`, or the stream's `maxBufferSize`, was exceeded. The
 * stream stays usable and the bytes stay buffered; `limit` is the bound that
 * was hit.
 */
export class LimitExceededError extends StreamError {
  readonly limit: number = 0;
}

/** A constructor of stream errors: `StreamError` itself or a transport's subclass. */
export type StreamErrorClass = new (message: string, options?: StreamErrorOptions) => StreamError;

/**
 * Builds every error one stream raises, as instances of its transport's class
 * (`TCPError`, …) that are also instances of the right kind. A stream holds one;
 * a transport passes its own error class once, in the constructor.
 */
export class StreamErrorFactory {
  static readonly #shared = new WeakMap<StreamErrorClass, StreamErrorFactory>();
  readonly #Class: StreamErrorClass;

  /** The one factory of `errorClass` (it holds nothing else, so streams share it). */
  static for(errorClass: StreamErrorClass = StreamError): StreamErrorFactory {
    let factory = StreamErrorFactory.#shared.get(errorClass);
    if (factory === undefined) StreamErrorFactory.#shared.set(errorClass, (factory = new StreamErrorFactory(errorClass)));
    return factory;
  }

  constructor(errorClass: StreamErrorClass = StreamError) {
    this.#Class = errorClass;
  }

  /**
   * `StreamClosedError`: `action` is what was attempted (`'Cannot read'`),
   * `subject` what is closed (`'the server'`).
   */
  closed(action: string, cause?: unknown, subject = 'the stream'): StreamClosedError {
    const reason = cause === undefined ? `${subject} is closed` : `${subject} is closed (${describe(cause)})`;
    return this.#kind(StreamClosedError, `${action}: ${reason}`, { cause }, {});
  }

  /** `IncompleteReadError` holding the consumed `partial` bytes. */
  incomplete(partial: Buffer, wanted: string): IncompleteReadError {
    const message = `Cannot ${wanted}: the stream ended after ${partial.length} bytes`;
    return this.#kind(IncompleteReadError, message, {}, { partial });
  }

  /** `LimitExceededError` for a read that would need more than `limit` bytes. */
  limit(limit: number, wanted: string): LimitExceededError {
    const message = `Cannot ${wanted}: it needs more than the limit of ${limit} bytes buffered`;
    return this.#kind(LimitExceededError, message, {}, { limit });
  }

  /**
   * An error with a libuv `code` (`'EISCONN'`) the library itself detects,
   * before the OS would: `${action}: ${state}`, with that code's `errno` on
   * this platform and `cause` when one led to it (a probe's failure, …).
   * Throws `RangeError` for a code the running Node does not know.
   */
  withCode(action: string, code: string, state: string, cause?: unknown): StreamError {
    return new this.#Class(`${action}: ${state}`, { errno: errnoOf(code), code, cause });
  }

  /**
   * An error for a libuv status a binding returned instead of throwing (a
   * tty handle's `setRawMode`, …): `${action}: ${strerror(errno)}`, with that
   * `errno` and its `code` (no `code` when the running Node does not name the
   * number). Never throws.
   */
  withErrno(action: string, errno: number): StreamError {
    return new this.#Class(`${action}: ${strerror(errno)}`, { errno, code: errorcode[errno] });
  }

  /**
   * Wraps a Node system error (`ECONNRESET`, …) in the transport's class,
   * keeping `errno`, `code` and the original as `cause`. A non-system error is
   * wrapped the same way without `errno`/`code`.
   */
  system(action: string, cause: unknown): StreamError {
    if (cause instanceof this.#Class) return cause;
    const { errno, code } = systemErrorFields(cause);
    return new this.#Class(`${action}: ${describe(cause)}`, { cause, errno, code });
  }

  #kind<K extends StreamError>(
    kind: ErrorKind & (abstract new (...args: never[]) => K),
    message: string,
    options: StreamErrorOptions,
    fields: Partial<K>,
  ): K {
    const error = new this.#Class(message, options);
    error.name = kind.name;
    if (!(error instanceof kind)) kindsOf.set(error, [kind]);
    return Object.assign(error, fields) as K;
  }
}

/**
 * `errno`/`code` of a Node system error, normalised: Node gives `errno` as a
 * number, but some paths only set `code`; a `SystemError` (`ERR_TTY_INIT_FAILED`)
 * carries them in `info`; other `'ERR_…'` codes are not system errors and
 * give neither.
 */
export function systemErrorFields(cause: unknown): { errno?: number; code?: string } {
  const { errno, code, info } = (cause ?? {}) as { errno?: unknown; code?: unknown; info?: unknown };
  if (code === undefined && cause instanceof AggregateError) return systemErrorFields(cause.errors[0]);
  // Node's SystemError (ERR_TTY_INIT_FAILED, …) keeps the OS error in `info`.
  if (typeof code === 'string' && code.startsWith('ERR_') && info !== undefined) return systemErrorFields(info);
  if (typeof code !== 'string' || code.startsWith('ERR_')) return {};
  if (typeof errno === 'number') return { errno, code };
  try {
    return { errno: errnoOf(code), code };
  } catch {
    return { code };
  }
}

/**
 * The message of a cause. Node reports a connect whose every address failed
 * (Happy Eyeballs) as an `AggregateError` with an empty message: its
 * attempts' messages are named instead.
 */
function describe(cause: unknown): string {
  // Each attempt's own message names its address ("connect ECONNREFUSED ::1:7").
  if (cause instanceof AggregateError && cause.message === '') return cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  const { errno, code } = systemErrorFields(cause);
  // Node words system errors for logs ("connect ECONNREFUSED 127.0.0.1:7");
  // the action already names the target, so say what went wrong.
  if (errno !== undefined && code !== undefined) return `${strerror(errno)} (${code})`;
  return cause instanceof Error ? cause.message : String(cause);
}
