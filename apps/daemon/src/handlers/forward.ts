import type { BaseStream, StreamConnection, StreamTransport } from '@evergreen/stream-core';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../protocol/server-spec.js';
import type { HandlerEnvironment, StreamHandler } from './handler.js';
import { relayBothWays } from './relay.js';
import { isTlsURI, type ForwardTlsSpec } from '../protocol/tls-spec.js';
import { UpstreamTls } from '../daemon/tls/upstream-tls.js';

/** Where and how a forward connects. */
export interface ForwardTarget {
  target: string;
  connectTimeoutMs?: number;
  /** A `tls://` target's verification and client certificate. */
  tls?: ForwardTlsSpec;
}

/**
 * A stream handler that opens a connection to `target` (any stream
 * transport: tcp↔pipe works) for each accepted connection and relays both
 * ways with backpressure, passing half-close through; when either side
 * fails, both are reset (see `relayBothWays`), and so is the client when the
 * upstream cannot be reached. Resolving the target's transport happens here, so
 * a bad target fails when the server is added, not at the first connection.
 * A `tls://` upstream is verified (chain, name, and `tls.verify`) before a
 * byte is relayed; its files are read here (and again on a credential reload).
 * Rejects per connection when the upstream connect fails or times out.
 */
export async function forwardStream(options: ForwardTarget, env: HandlerEnvironment): Promise<StreamHandler> {
  const transport: StreamTransport = await env.transports.streamTransport(options.target);
  const address = transport.parse(options.target);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const tls = isTlsURI(options.target) ? await UpstreamTls.read(options.tls, env.baseDir, `Cannot forward to ${options.target}`) : undefined;
  if (tls !== undefined) env.onUpstreamTls?.(tls);
  const connectUpstream = async (): Promise<BaseStream> => {
    // A controller and a timer cleared once connected, not AbortSignal.timeout(): that one
    // costs a WeakRef and a FinalizationRegistry entry per connection, and its timer runs on.
    // Unreferenced as that one's: a connect in progress does not keep the process alive.
    // In a function of its own, so none of them outlives the connect: an idle
    // connection's handler holds only its two streams.
    const timeout = new AbortController();
    const timer = setTimeout(abortForTimeout, connectTimeoutMs, timeout).unref();
    try {
      const upstream = await transport.connect(address, { ...env.streamLimits, ...tls?.options, signal: timeout.signal });
      tls?.check(upstream);
      return upstream;
    } finally {
      clearTimeout(timer);
    }
  };
  // Not an async function: an idle connection holds reactions, no suspended frame.
  return (conn: StreamConnection) =>
    connectUpstream().then(
      (upstream) => {
        const close = (): void => upstream.close();
        return relayBothWays(conn, upstream).then(close, (error: unknown) => {
          close();
          throw error;
        });
      },
      (error: unknown) => {
        // The client must not take the refusal for an empty stream that ended well.
        conn.reset();
        throw error;
      },
    );
}

/** Aborts an upstream connect that took too long, with the reason `AbortSignal.timeout()` gives. */
function abortForTimeout(timeout: AbortController): void {
  timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}
