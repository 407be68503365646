import type { TlsReloadResult } from '../../protocol/tls-results.js';
import type { HostBuilder } from '../hosting/host-builder.js';
import type { HostedServer } from '../hosting/hosted-server.js';
import type { Logger } from '../logging/logger.js';
import { TlsStreamHost } from './tls-stream-host.js';

/**
 * Reads the TLS credential files of `host` again, where it has any: a
 * `tls://` server's own (`server`) and a forward's toward its `tls://`
 * target (`upstream`, as `builder` built it), and swaps in those that
 * changed. One result per set of credentials, none for a host without TLS;
 * a failure leaves the old credentials in use and is logged, never thrown.
 * What the daemon does for each server on a reload and `tls.reload`, in its
 * own process or in each worker.
 */
export async function reloadCredentials(host: HostedServer, builder: HostBuilder, log: Logger): Promise<TlsReloadResult[]> {
  const results: TlsReloadResult[] = [];
  if (host instanceof TlsStreamHost) results.push(await host.reloadCredentials());
  const upstream = builder.upstreamTls(host);
  if (upstream === undefined) return results;
  const result = await upstream.reload(host.name);
  if (result.status === 'failed') log.warn({ server: host.name, reason: result.message }, 'forward TLS credentials not reloaded: the old ones stay in use');
  if (result.status === 'reloaded') builder.warnUpstream(host.name, upstream);
  results.push(result);
  return results;
}
