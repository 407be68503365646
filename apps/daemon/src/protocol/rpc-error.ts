/**
 * The error codes of the control protocol: JSON-RPC 2.0's numbers for
 * protocol errors, and the daemon's own in -32000…-32099.
 */
export const RpcErrorCode = Object.freeze({
  /** The bytes are not MessagePack, or break a decoder limit (the connection is closed). */
  PARSE_ERROR: -32700,
  /** The message is MessagePack but not a request `[0, msgid, method, params]`. */
  INVALID_REQUEST: -32600,
  /** No method by that name. */
  METHOD_NOT_FOUND: -32601,
  /** The params do not fit the method (`data: { path, value, expected }`). */
  INVALID_PARAMS: -32602,
  /** The daemon failed while handling the request (details are in its log). */
  INTERNAL_ERROR: -32603,
  /** The named server, connection, … does not exist. */
  NOT_FOUND: -32001,
  /** Something by that name exists already. */
  ALREADY_EXISTS: -32002,
  /** Busy or draining: try again later (also: too many control connections). */
  BUSY: -32003,
  /** A listener could not bind (`data: { errno, code }`). */
  BIND_FAILED: -32004,
  /** The address's transport package is not installed. */
  TRANSPORT_UNAVAILABLE: -32005,
  /** The daemon said no, for a reason its message gives. */
  REFUSED: -32006,
  /** The control socket's level does not allow the call (`data: { level, required }`); the connection goes on. */
  FORBIDDEN: -32007,
} as const);

/** One of the numbers in {@link RpcErrorCode}, or another integer a newer daemon sends. */
export type RpcErrorCodeNumber = (typeof RpcErrorCode)[keyof typeof RpcErrorCode] | number;

/** The error object of a response: `{ code, message, data? }`. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * An error in the control protocol: the daemon replies with it, the client
 * rejects with it. `code`, `message` and `data` travel intact.
 * Cost: an `Error` (its stack) per instance.
 */
export class RpcError extends Error {
  readonly code: RpcErrorCodeNumber;
  readonly data?: unknown;

  constructor(code: RpcErrorCodeNumber, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    if (data !== undefined) this.data = data;
  }

  /** The wire form `{ code, message, data? }` (no `data` key when there is none). */
  toObject(): RpcErrorObject {
    return this.data === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, data: this.data };
  }

  /**
   * Reads a wire error object back. Never throws: something that is not
   * `{ code: integer, message: string }` gives an `INTERNAL_ERROR` whose
   * `data` holds what arrived.
   */
  static fromObject(value: unknown): RpcError {
    if (typeof value === 'object' && value !== null) {
      const { code, message, data } = value as Partial<Record<'code' | 'message' | 'data', unknown>>;
      if (Number.isInteger(code) && typeof message === 'string') return new RpcError(code as number, message, data);
    }
    return new RpcError(RpcErrorCode.INTERNAL_ERROR, 'Cannot read the error: it is not { code, message }', value);
  }
}
