import type { ServerSpec } from '../../protocol/server-spec.js';
import type { ServerOrigin } from '../../protocol/results.js';
import { createDatagramHandler, createStreamHandler } from '../../handlers/create-handler.js';
import type { HandlerEnvironment } from '../../handlers/handler.js';
import type { TransportRegistry } from '../../transports/transport-registry.js';
import { DaemonError } from '../daemon-error.js';
import type { Logger } from '../logging/logger.js';
import type { PassedSockets } from '../systemd/passed-sockets.js';
import { ServerCredentials } from '../tls/server-credentials.js';
import { TlsStreamHost } from '../tls/tls-stream-host.js';
import type { UpstreamTls } from '../tls/upstream-tls.js';
import { timeLimit } from '../time-limit.js';
import { DatagramHost } from './datagram-host.js';
import type { HostContext, HostedServer } from './hosted-server.js';
import { StreamHost } from './stream-host.js';

/** What a {@link HostBuilder} builds with. */
export interface HostBuilderOptions {
  log: Logger;
  /** What every host it builds is given (events, connection ids, admission). */
  context: HostContext;
  /** The sockets systemd passed in, which `sd://NAME` and `fd://N` listen URIs name. */
  passed: PassedSockets;
  /** The config file's directory: relative module paths and credential files are resolved against it. */
  baseDir: string;
}

/** How one host shares its address with the other processes of the daemon (workers). */
export interface HostPlacement {
  /** A datagram host binds with `SO_REUSEPORT` (the transport must take it: see `DatagramTransport.reusePort`). */
  reusePort?: boolean;
}

/**
 * Builds (does not start) the host of a server spec — a `StreamHost`,
 * `TlsStreamHost` or `DatagramHost` with its handler — for the daemon, and
 * for each worker process when the daemon runs workers.
 *
 * Errors: `DaemonError` invalid (a URI its transport rejects, an option the
 * transport's kind has no use for) or unavailable (a transport or module
 * that cannot be loaded, or not within `timeoutMs`). Cost: the handler
 * module and transport imports, and the credential files read.
 */
export class HostBuilder {
  readonly #options: HostBuilderOptions;
  /** The credentials of forwards to tls:// targets, by their host, for credential reloads. */
  readonly #upstreamTls = new WeakMap<HostedServer, UpstreamTls>();

  constructor(options: HostBuilderOptions) {
    this.#options = options;
  }

  /** The upstream TLS credentials of a forward to a tls:// target that this builder built, if it is one. */
  upstreamTls(host: object): UpstreamTls | undefined {
    return this.#upstreamTls.get(host as HostedServer);
  }

  /**
   * Builds the host of `spec` within `timeoutMs`: an import that takes longer
   * is logged and the server fails (`DaemonError` unavailable), while the
   * import itself goes on (it cannot be stopped). `placement` says how a
   * worker's host shares its address (nothing to share by default).
   */
  async build(spec: ServerSpec, origin: ServerOrigin, registry: TransportRegistry, timeoutMs: number, placement: HostPlacement = {}): Promise<HostedServer> {
    try {
      return await timeLimit(this.#build(spec, origin, registry, placement), timeoutMs, () => {
        this.#options.log.warn({ server: spec.name, handler: spec.handler, listen: spec.listen, timeoutMs }, 'loading a server took longer than moduleLoadTimeoutMs: it is not started');
        return new DaemonError('unavailable', `Cannot add server "${spec.name}": its handler or transport did not finish loading within ${timeoutMs} ms (moduleLoadTimeoutMs)`, { timeoutMs });
      });
    } catch (error) {
      throw asDaemonError(error, spec);
    }
  }

  /** Logs the warnings of a forward's upstream credentials. */
  warnUpstream(name: string, upstream: UpstreamTls): void {
    for (const warning of upstream.warnings) this.#options.log.warn({ server: name }, `TLS: ${warning}`);
  }

  /** Builds the host of `spec`; a forward to a tls:// target has its credentials kept for reloads. */
  async #build(spec: ServerSpec, origin: ServerOrigin, registry: TransportRegistry, placement: HostPlacement): Promise<HostedServer> {
    let upstreamTls: UpstreamTls | undefined;
    const env: HandlerEnvironment = {
      transports: registry,
      baseDir: this.#options.baseDir,
      streamLimits: { highWaterMark: spec.highWaterMark, maxBufferSize: spec.maxBufferSize },
      onUpstreamTls: (credentials) => (upstreamTls = credentials),
    };
    const host = await this.#hostOf(spec, origin, env, placement);
    if (upstreamTls !== undefined) {
      this.#upstreamTls.set(host, upstreamTls);
      this.warnUpstream(spec.name, upstreamTls);
    }
    return host;
  }

  /** The host of `spec`: a `TlsStreamHost` for a tls:// listen (its credential files read here), else by transport kind. */
  async #hostOf(spec: ServerSpec, origin: ServerOrigin, env: HandlerEnvironment, placement: HostPlacement): Promise<HostedServer> {
    const context = this.#options.context;
    const passed = this.#options.passed.find(spec.listen);
    const transport = passed === undefined ? await env.transports.forURI(spec.listen) : await env.transports.forScheme(passed.kind.scheme);
    if (transport.kind === 'stream') {
      refuseDatagramOptions(spec, transport.scheme);
      const handler = await createStreamHandler(spec.handler, env);
      if (spec.tls === undefined) return new StreamHost(spec, origin, context, transport, handler, passed);
      if (passed !== undefined) throw new TypeError(`Cannot serve TLS on "${spec.listen}": a socket systemd passes in is served as plain ${passed.kind.scheme}`);
      const credentials = await ServerCredentials.read(spec.tls, env.baseDir, `Cannot add server "${spec.name}"`);
      return new TlsStreamHost({ ...spec, tls: spec.tls }, origin, context, transport, handler, credentials, env.baseDir);
    }
    const listen = passed === undefined ? (transport.parse(spec.listen) as object) : { host: passed.kind.scheme === 'udp' && passed.kind.family === 6 ? '::' : '0.0.0.0' };
    const handler = await createDatagramHandler(spec.handler, env, { ...listen, port: 0 });
    return new DatagramHost(spec, origin, context, transport, handler, { passed, reusePort: placement.reusePort === true });
  }
}

/**
 * A stream server has no datagram socket to size: `recvBufferSize` on one is
 * the request's mistake (`DaemonError` invalid at `recvBufferSize`), caught
 * when the server is added or its config read rather than ignored.
 */
export function refuseDatagramOptions(spec: ServerSpec, scheme: string): void {
  if (spec.recvBufferSize === undefined) return;
  const data = { path: 'recvBufferSize', value: spec.recvBufferSize, expected: 'no recvBufferSize on a stream server (it sizes a datagram socket)' };
  throw new DaemonError('invalid', `Cannot add server "${spec.name}": recvBufferSize applies to datagram (udp) servers and "${scheme}" is a stream transport`, data);
}

/** A failure to build a server as the request's fault (a URI its transport rejects) or as something unavailable. */
export function asDaemonError(error: unknown, spec: ServerSpec): DaemonError {
  if (error instanceof DaemonError) return error;
  const message = (error as Error).message;
  if (error instanceof TypeError || error instanceof RangeError) {
    const path = message.includes(spec.listen) ? 'listen' : 'handler.target';
    const value = path === 'listen' ? spec.listen : (spec.handler as { target?: string }).target;
    return new DaemonError('invalid', `Cannot add server "${spec.name}": ${message}`, { path, value, expected: message }, { cause: error });
  }
  return new DaemonError('unavailable', `Cannot add server "${spec.name}": ${message}`, undefined, { cause: error });
}
