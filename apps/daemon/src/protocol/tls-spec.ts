import { DEFAULT_HANDSHAKE_TIMEOUT_MS, checkAllowList } from '@evergreen/tls';
import { MAX_TIMER_MS } from '@evergreen/stream-core';
import { z } from 'zod';
import { boundedArray, boundedString } from './bounded.js';

/**
 * The `tls` blocks of a server entry: the listening side's (`servers[i].tls`,
 * on a `tls://` listen) and a forward's toward a `tls://` target
 * (`servers[i].handler.tls`). Files are paths, resolved against the config
 * file's directory; the daemon reads them when the server starts and on
 * reload. Strict, like every object of the config.
 */

const file = (what: string) => boundedString().min(1).describe(`${what} (PEM file; relative paths are resolved against the config file's directory)`);
const names = (what: string) => boundedArray(boundedString().min(1)).optional().describe(what);
const version = z.enum(['TLSv1.2', 'TLSv1.3']);
const alpn = boundedArray(boundedString().min(1).max(255)).min(1).optional();

/** `servers[i].tls`: the certificate a `tls://` server presents and how it treats its clients. */
export const serverTlsSchema = z
  .strictObject({
    cert: file('The server\'s certificate chain, leaf first'),
    key: file('The certificate\'s private key (unencrypted; keep it readable by the daemon\'s user only)'),
    ca: file('CA certificates that client certificates must chain to').optional(),
    clientAuth: z
      .enum(['none', 'optional', 'require'])
      .optional()
      .describe('Ask clients for a certificate: never (default), if they have one, or always'),
    allow: z
      .strictObject({
        cn: names('Subject common names taken, exactly'),
        dns: names('DNS subjectAltNames taken (case-blind)'),
        uri: names('URI subjectAltNames taken; a path segment "*" matches any one segment (spiffe://corp/ns/*/sa/api)'),
      })
      .optional()
      .describe('A client certificate must match one entry (needs clientAuth optional or require)'),
    alpn: alpn.describe('ALPN protocols the server speaks, most preferred first; a client offering only others is refused'),
    minVersion: version.optional().describe('The lowest TLS version taken (default TLSv1.2)'),
    handshakeTimeoutMs: z
      .int()
      .min(1)
      .max(MAX_TIMER_MS)
      .optional()
      .describe(`How long a client may take over its whole handshake before it is disconnected (default ${DEFAULT_HANDSHAKE_TIMEOUT_MS})`),
  })
  .superRefine((tls, ctx) => {
    const listed = tls.allow !== undefined && Object.values(tls.allow).some((list) => list !== undefined && list.length > 0);
    if (listed && (tls.clientAuth ?? 'none') === 'none') {
      ctx.addIssue({ code: 'custom', path: ['allow'], input: tls.allow, message: 'expected clientAuth "optional" or "require" with an allow-list (without client certificates there is nobody to allow)' });
    }
    if ((tls.clientAuth ?? 'none') !== 'none' && tls.ca === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ca'], input: tls.ca, message: 'expected a ca file to verify client certificates against (clientAuth is on)' });
    }
    try {
      checkAllowList(tls.allow);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['allow', 'uri'], input: tls.allow?.uri, message: (error as Error).message });
    }
  });

/** `servers[i].handler.tls`: how a forward to a `tls://` target verifies its upstream and proves itself. There is no switch to skip verification. */
export const forwardTlsSchema = z
  .strictObject({
    ca: file('CA certificates the upstream\'s certificate must chain to (default: Node\'s root store)').optional(),
    cert: file('A client certificate chain for upstreams that ask for one (mTLS); needs key').optional(),
    key: file('The client certificate\'s private key').optional(),
    servername: boundedString().min(1).optional().describe('The name sent as SNI and checked against the upstream\'s certificate (default: the target\'s host when it is a DNS name)'),
    verify: z
      .strictObject({
        dns: names('DNS subjectAltNames of which the upstream\'s certificate must carry one'),
        uri: names('URI subjectAltNames of which it must carry one ("*" segments as in allow.uri)'),
      })
      .optional()
      .describe('Names the upstream\'s certificate must also carry, beyond passing the name check'),
    alpn: alpn.describe('ALPN protocols offered to the upstream, most wanted first'),
    minVersion: version.optional().describe('The lowest TLS version taken (default TLSv1.2)'),
  })
  .superRefine((tls, ctx) => {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [tls.cert === undefined ? 'cert' : 'key'], input: undefined, message: 'expected cert and key together (a client certificate needs its key)' });
    }
    try {
      checkAllowList(tls.verify);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['verify', 'uri'], input: tls.verify?.uri, message: (error as Error).message });
    }
  });

/** Whether a URI names the TLS transport (`tls://…`), the only scheme a `tls` block goes with. */
export function isTlsURI(uri: string): boolean {
  return /^tls:\/\//i.test(uri);
}

export type ServerTlsSpec = z.infer<typeof serverTlsSchema>;
export type ForwardTlsSpec = z.infer<typeof forwardTlsSchema>;
