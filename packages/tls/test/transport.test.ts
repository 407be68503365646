import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { StreamTransport, Transport, TransportServerOptions } from '@evergreen/stream-core';
import { TLSClient, TLSServer, tlsReasonOf, transport, type TLSTransportServerOptions } from '../src/index.js';
import { makeCertificates, opensslVersion, type TestCertificates } from '../src/testing/index.js';
import { echo } from './helpers.js';

describe('the tls transport plugin', () => {
  it('is a stream transport for the tls scheme, with its security settings as typed options', () => {
    const plugin: Transport = transport;
    expect(plugin.kind).toBe('stream');
    expect(plugin.scheme).toBe('tls');
    expectTypeOf<TransportServerOptions<typeof transport>>().toMatchTypeOf<TLSTransportServerOptions>();
    expectTypeOf<TransportServerOptions<typeof transport>>().toHaveProperty('clientAuth');
  });

  it('parses and formats as tcp:// does', () => {
    expect(transport.parse('tls://127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(transport.parse('TLS://[::1]:8443/')).toEqual({ host: '::1', port: 8443 });
    expect(transport.format({ host: '::1', port: 8443 })).toBe('tls://[::1]:8443');
    expect(() => transport.parse('tcp://127.0.0.1:8443')).toThrow('the scheme is "tcp", expected "tls"');
    expect(() => transport.parse('tls://127.0.0.1')).toThrow(TypeError);
  });

  it('createServer without a key and a cert throws a TypeError', () => {
    expect(() => transport.createServer(() => {})).toThrow(TypeError);
  });
});

describe.skipIf(opensslVersion === undefined)('the tls transport plugin, connected', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());

  it('serves and connects through the plain StreamTransport interface a daemon holds', async () => {
    const plugin: StreamTransport = transport;
    const security: object = { key: certs.server.key, cert: certs.server.cert };
    const server = plugin.createServer(async (conn) => {
      conn.write(await conn.readUntil('\n'));
    }, security);
    await server.bind(plugin.parse('tls://127.0.0.1:0'));
    void server.serve();
    try {
      const address = { host: 'localhost', port: (server as TLSServer).sockname.port };
      const client = await plugin.connect(address, { ca: certs.ca.cert } as object);
      expect(client).toBeInstanceOf(TLSClient);
      expect(await echo(client as TLSClient)).toBe('ping\n');
      client.close();
    } finally {
      await server.close();
    }
  });
});

describe('tlsReasonOf', () => {
  it.each([
    ['CERT_HAS_EXPIRED', 'expired'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'untrusted'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'hostname-mismatch'],
    ['ERR_SSL_HTTP_REQUEST', 'not-tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'not-tls'],
    ['ERR_SSL_UNSUPPORTED_PROTOCOL', 'protocol-version'],
    // OpenSSL 3.0 (Node 20) and 3.5 (Node 24) name the same alert differently: the alert name decides.
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'no-client-cert'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'handshake-failed'],
    ['ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE', 'handshake-failed'],
    ['ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL', 'alpn'],
    ['ECONNRESET', undefined],
    [undefined, undefined],
  ])('%s → %s', (code, reason) => {
    expect(tlsReasonOf(code)).toBe(reason);
  });
});
