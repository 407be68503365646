/** Largest encoded control message, in bytes (1 MiB): no request or event needs more; bounds what one client makes us buffer. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Longest string or binary value in a message, in bytes (64 KiB): the longest real field is a path or a URI (4 KiB). */
export const MAX_STRING_BYTES = 64 * 1024;

/** Most elements in one array, counted (4096): lists such as `allow`/`deny` CIDRs stay far below. */
export const MAX_ARRAY_LENGTH = 4096;

/** Most entries (key/value pairs) in one map, counted (256): a server entry has about a dozen keys. */
export const MAX_MAP_LENGTH = 256;

/** Deepest nesting of arrays and maps, counted from the message array (32): params nest 5 deep; keeps decoding far from the stack limit. */
export const MAX_DEPTH = 32;

/** Most values (of any kind) in one message, counted (65 536): bounds the objects 1 MiB of tiny values would decode to. */
export const MAX_ITEMS_PER_MESSAGE = 65_536;

/** Most control connections open at once, counted (64): a CLI uses one; more is a leak or an attack. */
export const MAX_CONTROL_CONNECTIONS = 64;

/** Most requests of one connection being handled at once, counted (64): past that the daemon stops reading that socket. */
export const MAX_OUTSTANDING_REQUESTS = 64;

/** Events queued for one subscriber that is not reading, counted (1024): a burst fits; a stalled reader costs at most this. */
export const SUBSCRIBER_QUEUE_EVENTS = 1024;

/**
 * How long what the daemon wrote to a control connection may wait to go
 * out (60 s) before the connection is closed: a client that never reads
 * its replies or events cannot keep one of the connection slots.
 */
export const REPLY_STALL_TIMEOUT_MS = 60_000;

/**
 * How long a control connection may stay idle — no request in progress, not
 * subscribed — before it is closed (10 min; `control.idleTimeoutMs`): a
 * client that connects and forgets cannot keep one of the connection slots.
 */
export const CONTROL_IDLE_TIMEOUT_MS = 600_000;

/** Unread bytes a control connection buffers before its socket is paused (64 KiB): one read's worth, so backpressure reaches the peer soon. */
export const CONTROL_HIGH_WATER_MARK_BYTES = 64 * 1024;

/** The caps a `MessageDecoder` enforces (see each constant above). */
export interface DecoderLimits {
  readonly maxMessageBytes: number;
  readonly maxStringBytes: number;
  readonly maxArrayLength: number;
  readonly maxMapLength: number;
  readonly maxDepth: number;
  readonly maxItems: number;
}

/** The limits the daemon holds every incoming control message to. */
export const REQUEST_LIMITS: DecoderLimits = Object.freeze({
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxStringBytes: MAX_STRING_BYTES,
  maxArrayLength: MAX_ARRAY_LENGTH,
  maxMapLength: MAX_MAP_LENGTH,
  maxDepth: MAX_DEPTH,
  maxItems: MAX_ITEMS_PER_MESSAGE,
});

/**
 * The limits a client holds the daemon's replies to: 16 times the request
 * limits (a listing or `config.get` is bigger than any request), still
 * bounded so a wrong peer on the socket cannot exhaust the CLI's memory.
 */
export const REPLY_LIMITS: DecoderLimits = Object.freeze({
  maxMessageBytes: 16 * MAX_MESSAGE_BYTES,
  maxStringBytes: 16 * MAX_STRING_BYTES,
  maxArrayLength: 16 * MAX_ARRAY_LENGTH,
  maxMapLength: 16 * MAX_MAP_LENGTH,
  maxDepth: MAX_DEPTH,
  maxItems: 16 * MAX_ITEMS_PER_MESSAGE,
});

/**
 * Most servers one daemon hosts, counted (1024): `stats` answers with a map
 * keyed by server name, and `config.get`'s runtime changes are a map of at
 * most twice as many entries (removed config servers and added ones), so
 * both must fit a reply's map limit (`REPLY_LIMITS.maxMapLength`, 4096) with
 * room to spare. `servers.add`, `config.reload` and the start refuse more
 * (-32006).
 */
export const MAX_SERVERS = 1024;

/** How long a control connection being closed may take to take its last message (2 s): a peer that does not read cannot hold its slot. */
export const CLOSE_FLUSH_TIMEOUT_MS = 2000;
