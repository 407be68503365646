import type { StreamTransportHarness } from '@evergreen/stream-core/testing';
import type { AddressInput } from '@evergreen/stream-core';
import { TLSClient, TLSError, TLSServer, type TLSVersion } from '../src/index.js';
import type { TestCertificates } from './certificates.js';

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
    connect: (client, address) => (client as TLSClient).connect(address),
    // Node's TLS socket reports each write done only on a later turn.
    writesReportedLater: true,
  };
}
