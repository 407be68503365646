import { until, type StreamTransportHarness } from '@evergreen/stream-core/testing';
import type { AddressInput } from '@evergreen/stream-core';
import { TLSClient, TLSError, TLSServer, type TLSVersion } from '../src/index.js';
import type { TestCertificates } from '../src/testing/index.js';

/**
 * Drives the stream-core compliance suite over TLS on 127.0.0.1, the
 * server limited to `version` (so both TLS 1.2 and 1.3 run every topic,
 * half-close included). `certificates` is read when a test runs.
 */
export function tlsHarness(version: TLSVersion, certificates: () => TestCertificates): StreamTransportHarness<AddressInput> {
  return {
    name: `TLS (${version}) on 127.0.0.1`,
    errorClass: TLSError,
    createServer: (handler, options) => {
      const { server } = certificates();
      return new TLSServer(handler, { ...options, key: server.key, cert: server.cert, minVersion: version, maxVersion: version });
    },
    bindAddress: () => ({ host: '127.0.0.1', port: 0 }),
    connectAddress: (server) => (server as TLSServer).sockname,
    createClient: (options) => new TLSClient({ ...options, ca: certificates().ca.cert }),
    async connect(client, address) {
      const tlsClient = client as TLSClient;
      await tlsClient.connect(address);
      // A TLS 1.3 server sends its session tickets just after the handshake.
      // A client closed while they sit unread in its kernel buffer resets
      // the connection instead of ending it (TCP's rule for unread bytes),
      // which the topics that close a client right after writing would see
      // as ECONNRESET: let them arrive first, as any client that reads does.
      if (version === 'TLSv1.3') await until(() => tlsClient.session !== null, 'the session tickets');
    },
    // Node's TLS socket reports each write done only on a later turn.
    writesReportedLater: true,
  };
}
