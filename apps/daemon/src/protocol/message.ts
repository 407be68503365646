import { RpcError, RpcErrorCode } from './rpc-error.js';

/** The largest msgid: msgids are uint32. */
export const MAX_MSGID = 0xffff_ffff;

/** `[0, msgid, method, params]`: asks for a response with the same msgid. */
export interface RpcRequest {
  readonly type: 0;
  readonly msgid: number;
  readonly method: string;
  readonly params: unknown[];
}

/** `[1, msgid, error, result]`: `error` is nil on success, else `{ code, message, data? }`. */
export interface RpcResponse {
  readonly type: 1;
  readonly msgid: number;
  readonly error: unknown;
  readonly result: unknown;
}

/** `[2, method, params]`: no response. */
export interface RpcNotification {
  readonly type: 2;
  readonly method: string;
  readonly params: unknown[];
}

/** Any control message. */
export type RpcMessage = RpcRequest | RpcResponse | RpcNotification;

/** What `checkMessage` gives for a value that is not a message: the error, and the msgid if one could be read. */
export interface InvalidMessage {
  readonly error: RpcError;
  readonly msgid: number | undefined;
}

/** The message type numbers. */
export const MessageType = Object.freeze({ REQUEST: 0, RESPONSE: 1, NOTIFICATION: 2 } as const);

/** True for an integer msgid in 0..2^32-1. */
export function isMsgid(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_MSGID;
}

/**
 * Checks a decoded value against the three message shapes. Returns the
 * typed message, or an `InvalidMessage` whose error is `INVALID_REQUEST`
 * (-32600) and whose `msgid` is set when the value is a request with a
 * valid msgid but a wrong method or params. Never throws; costs a few
 * type checks.
 */
export function checkMessage(value: unknown): RpcMessage | InvalidMessage {
  if (!Array.isArray(value)) return invalid('it is not an array');
  const [type, second, third, fourth] = value as unknown[];
  switch (type) {
    case MessageType.REQUEST:
      return checkRequest(value, second, third, fourth);
    case MessageType.RESPONSE:
      if (value.length !== 4) return invalid('a response has 4 elements');
      if (!isMsgid(second)) return invalid('its msgid is not an integer in 0..2^32-1');
      return { type, msgid: second, error: third, result: fourth };
    case MessageType.NOTIFICATION:
      if (value.length !== 3) return invalid('a notification has 3 elements');
      if (typeof second !== 'string') return invalid('its method is not a string');
      if (!Array.isArray(third)) return invalid('its params are not an array');
      return { type, method: second, params: third };
    default:
      return invalid('its type is not 0 (request), 1 (response) or 2 (notification)');
  }
}

function checkRequest(value: unknown[], msgid: unknown, method: unknown, params: unknown): RpcRequest | InvalidMessage {
  if (!isMsgid(msgid)) return invalid('its msgid is not an integer in 0..2^32-1');
  if (value.length !== 4) return invalid('a request has 4 elements', msgid);
  if (typeof method !== 'string') return invalid('its method is not a string', msgid);
  if (!Array.isArray(params)) return invalid('its params are not an array', msgid);
  return { type: MessageType.REQUEST, msgid, method, params };
}

function invalid(reason: string, msgid?: number): InvalidMessage {
  return { error: new RpcError(RpcErrorCode.INVALID_REQUEST, `Cannot read the message: ${reason}`), msgid };
}

/** True when `checkMessage` found no message. */
export function isInvalidMessage(value: RpcMessage | InvalidMessage): value is InvalidMessage {
  return !('type' in value);
}
