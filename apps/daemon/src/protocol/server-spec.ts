import { MAX_TIMER_MS } from '@evergreen/stream-core';
import { z } from 'zod';
import { boundedArray, boundedString } from './bounded.js';
import { parseCidr } from './cidr.js';
import { forwardTlsSchema, isTlsURI, serverTlsSchema } from './tls-spec.js';

/**
 * The schemas of a hosted server: the config's `servers[]` entries and the
 * params of `servers.add` / `servers.update` are these very objects, so a
 * config error and a bad control call read alike (path, value, expected).
 * Objects are strict: an unknown field is an error, never ignored. Strings
 * and lists are held to the control protocol's limits (bounded.ts).
 */

/** The default of `maxConnections`: active connections (UDP: client flows) per server. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** The default of `maxPerSource`: active connections per source address. */
export const DEFAULT_MAX_PER_SOURCE = 1_000;
/** The default of `idleTimeoutMs` (5 min): a connection with no bytes either way this long is closed. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** The default of `drainMs` (10 s): how long connections may finish when a server stops. */
export const DEFAULT_DRAIN_MS = 10_000;
/** The default of a forward's `connectTimeoutMs` (10 s). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The largest socket buffer size the kernel takes (`SO_RCVBUF` is a C `int`). */
export const MAX_SOCKET_BUFFER_BYTES = 2 ** 31 - 1;

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/./;

const count = (what: string) => z.int().min(1, `${what} must be at least 1`).max(Number.MAX_SAFE_INTEGER);
const milliseconds = () => z.int().min(0).max(MAX_TIMER_MS);
const uri = (example: string) => boundedString().regex(URI, `expected a URI like "${example}"`);

/** An allow/deny entry: an address or a CIDR block. */
export const cidrSchema = boundedString().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `expected an address or CIDR block like "10.0.0.0/8": ${parsed}`, input: text });
});

/** `{ "type": "echo" }`: every byte (UDP: every datagram) goes back to its sender. */
export const echoHandlerSchema = z.strictObject({ type: z.literal('echo') });
/** `{ "type": "discard" }`: bytes are read and dropped (RFC 863). */
export const discardHandlerSchema = z.strictObject({ type: z.literal('discard') });
/** `{ "type": "forward", "target": URI }`: each connection is relayed both ways to a new connection to `target`. */
export const forwardHandlerSchema = z.strictObject({
  type: z.literal('forward'),
  target: uri('tcp://127.0.0.1:8080'),
  connectTimeoutMs: milliseconds().optional().describe(`How long the upstream connect may take (default ${DEFAULT_CONNECT_TIMEOUT_MS} ms)`),
  tls: forwardTlsSchema.optional().describe('A tls:// target only: how the upstream is verified and what this side presents'),
});
/** `{ "type": "module", "path": FILE, "export"?: NAME }`: a function of the user's gets each connection. */
export const moduleHandlerSchema = z.strictObject({
  type: z.literal('module'),
  path: boundedString().min(1).describe('The module file, resolved against the config file\'s directory'),
  export: boundedString().min(1).optional().describe('The export to call (default: the default export)'),
});

/** What a server does with each connection. */
export const handlerSchema = z.discriminatedUnion('type', [echoHandlerSchema, discardHandlerSchema, forwardHandlerSchema, moduleHandlerSchema]);

/** The limits, access lists and buffer sizes of a server: a server entry's optional fields (`servers.update` changes those of {@link serverUpdateSchema} while it runs). */
export const serverLimitsShape = {
  maxConnections: count('maxConnections').optional().describe(`Most active connections (UDP: client flows); default ${DEFAULT_MAX_CONNECTIONS}`),
  maxPerSource: count('maxPerSource').optional().describe(`Most active connections from one source address; default ${DEFAULT_MAX_PER_SOURCE}`),
  idleTimeoutMs: milliseconds().optional().describe(`Close a connection idle this long (0: never); default ${DEFAULT_IDLE_TIMEOUT_MS}`),
  allow: boundedArray(cidrSchema).optional().describe('Only sources in these blocks are served (absent: all)'),
  deny: boundedArray(cidrSchema).optional().describe('Sources in these blocks are refused, even when allowed'),
  drainMs: milliseconds().optional().describe(`How long connections may finish when the server stops; default ${DEFAULT_DRAIN_MS}`),
  highWaterMark: count('highWaterMark').optional().describe('Unread bytes per connection above which reading pauses (default 1 MiB)'),
  maxBufferSize: count('maxBufferSize').optional().describe('Most bytes one read may buffer (default 64 MiB)'),
  recvBufferSize: z
    .int()
    .min(1, 'recvBufferSize must be at least 1')
    .max(MAX_SOCKET_BUFFER_BYTES)
    .optional()
    .describe('Datagram (udp) servers only: the listening socket\'s kernel receive buffer in bytes (SO_RCVBUF; Linux caps it at net.core.rmem_max); default: the OS\'s'),
};

/**
 * One hosted server: a config `servers[]` entry, and exactly what
 * `servers.add` takes. A `tls` block belongs to a `tls://` listen (where it
 * is required) and a handler's `tls` block to a forward's `tls://` target.
 */
export const serverSpecSchema = z
  .strictObject({
    name: z.string().regex(SERVER_NAME, 'expected a name of 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    listen: uri('tcp://127.0.0.1:7007'),
    handler: handlerSchema,
    ...serverLimitsShape,
    tls: serverTlsSchema.optional().describe('A tls:// listen only (and required there): the certificate served and the client policy'),
  })
  .superRefine((spec, ctx) => {
    if (isTlsURI(spec.listen) && spec.tls === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], input: undefined, message: 'expected a tls block ({ "cert": FILE, "key": FILE, … }) for a tls:// listen' });
    }
    if (!isTlsURI(spec.listen) && spec.tls !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tls'], input: spec.tls, message: `expected no tls block: it applies to a tls:// listen, and this one is "${spec.listen}"` });
    }
    if (spec.handler.type === 'forward' && spec.handler.tls !== undefined && !isTlsURI(spec.handler.target)) {
      ctx.addIssue({ code: 'custom', path: ['handler', 'tls'], input: spec.handler.tls, message: `expected no tls block: it applies to a tls:// target, and this one is "${spec.handler.target}"` });
    }
  });


/**
 * `servers.update`: the server's name and the limits to change on the running
 * server; a field set to null returns to its default. The per-connection
 * buffer limits (`highWaterMark`, `maxBufferSize`) are fixed when a
 * connection is made, and `recvBufferSize` when the server binds, so they
 * change with a restart (`config.reload`), not here.
 */
export const serverUpdateSchema = z.strictObject({
  name: serverSpecSchema.shape.name,
  maxConnections: serverLimitsShape.maxConnections.unwrap().nullable().optional(),
  maxPerSource: serverLimitsShape.maxPerSource.unwrap().nullable().optional(),
  idleTimeoutMs: serverLimitsShape.idleTimeoutMs.unwrap().nullable().optional(),
  allow: serverLimitsShape.allow.unwrap().nullable().optional(),
  deny: serverLimitsShape.deny.unwrap().nullable().optional(),
  drainMs: serverLimitsShape.drainMs.unwrap().nullable().optional(),
});

export type HandlerSpec = z.infer<typeof handlerSchema>;
export type ServerSpec = z.infer<typeof serverSpecSchema>;
export type ServerUpdate = z.infer<typeof serverUpdateSchema>;
export type ServerLimits = Omit<ServerSpec, 'name' | 'listen' | 'handler' | 'tls'>;
