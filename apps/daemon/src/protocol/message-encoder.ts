import { Packr } from 'msgpackr';
import type { RpcErrorObject } from './rpc-error.js';

/**
 * The one msgpackr encoder: plain MessagePack any client can read — no
 * records extension, maps with their real size (fixmap for small ones),
 * `undefined` as nil (msgpackr would otherwise write an extension).
 * Values must be plain data: a `Date` would be written as a timestamp
 * extension, which our own decoder refuses; send ISO strings or numbers.
 */
const packr = new Packr({ useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true });

/**
 * Encodes one message. Throws what msgpackr throws for a value it cannot
 * encode (a BigInt past 64 bits, a function). Cost: one Buffer, which the
 * caller owns.
 */
export function encodeMessage(message: readonly unknown[]): Buffer {
  return packr.pack(message);
}

/** `[0, msgid, method, params]`. */
export function encodeRequest(msgid: number, method: string, params: readonly unknown[]): Buffer {
  return encodeMessage([0, msgid, method, params]);
}

/** `[1, msgid, error, result]`: `error` nil on success (result nil on error). */
export function encodeResponse(msgid: number, error: RpcErrorObject | null, result: unknown): Buffer {
  return encodeMessage([1, msgid, error, error === null ? result : null]);
}

/** `[2, method, params]`. */
export function encodeNotification(method: string, params: readonly unknown[]): Buffer {
  return encodeMessage([2, method, params]);
}
