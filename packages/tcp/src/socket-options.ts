import type { Socket } from 'node:net';

/** Per-socket TCP options, for clients and for the connections a server accepts. */
export interface TCPSocketOptions {
  /**
   * Disables Nagle's algorithm (`TCP_NODELAY`), so each write goes out at
   * once instead of waiting for the previous segment's ACK. Default `true`,
   * as asyncio, Go and Node's `http` do: a request/response protocol over
   * small writes would otherwise stall on delayed ACKs.
   */
  noDelay?: boolean;
  /** Sends TCP keep-alive probes on an idle connection (`SO_KEEPALIVE`). Default `false`. */
  keepAlive?: boolean;
  /**
   * Idle time before the first keep-alive probe, in milliseconds (whole
   * seconds on Linux); `0` (the default) keeps the OS setting. Only used with
   * `keepAlive`.
   */
  keepAliveInitialDelayMs?: number;
}

/** The options as `net.connect` and `socket.setKeepAlive` spell them. */
export interface NetSocketOptions {
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelay: number;
}

/**
 * Validates `options` and fills in the defaults. Throws `TypeError` for a
 * non-boolean flag and `RangeError` for a delay that is not a non-negative
 * integer.
 */
export function toNetSocketOptions(options: TCPSocketOptions): NetSocketOptions {
  const { noDelay = true, keepAlive = false, keepAliveInitialDelayMs = 0 } = options;
  // Called for every accepted connection: checked one by one, so nothing
  // but the result is allocated (no array to loop over).
  checkBoolean('noDelay', noDelay);
  checkBoolean('keepAlive', keepAlive);
  if (!Number.isSafeInteger(keepAliveInitialDelayMs) || keepAliveInitialDelayMs < 0) {
    throw new RangeError(`Cannot use keepAliveInitialDelayMs ${keepAliveInitialDelayMs}: expected a non-negative integer`);
  }
  return { noDelay, keepAlive, keepAliveInitialDelay: keepAliveInitialDelayMs };
}

function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new TypeError(`Cannot use ${name} ${String(value)}: expected a boolean`);
}

/** Applies `options` to a socket that is already connected (an accepted one). */
export function applySocketOptions(socket: Socket, options: NetSocketOptions): void {
  socket.setNoDelay(options.noDelay);
  if (options.keepAlive) socket.setKeepAlive(true, options.keepAliveInitialDelay);
}
