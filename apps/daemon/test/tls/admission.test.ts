import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, opensslVersion, type TestCertificates } from '@evergreen/tls/testing';
import type { ServerSpec } from '../../src/protocol/server-spec.js';
import { addressOf, connectSocket, releaseAll, startDaemon } from '../host/harness.js';
import { streamUpstream } from '../host/upstreams.js';
import { endingOf, tlsConnect } from './tls-peers.js';

afterEach(releaseAll);

/**
 * What a TLS port costs before a handshake is done: admission is decided at
 * TCP accept, a connection in its handshake counts against the limits, and
 * a client that never completes one costs its socket and nothing else.
 */
describe.skipIf(opensslVersion === undefined)('tls:// admission and handshake failures', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  const front = (target: string, more: Partial<ServerSpec> = {}, tls: object = {}) => ({
    name: 'front',
    listen: 'tls://127.0.0.1:0',
    handler: { type: 'forward' as const, target },
    ...more,
    tls: { cert: certs.server.certPath, key: certs.server.keyPath, ...tls },
  });

  it('a plain-text client and a client that never finishes its handshake cost their own socket only: no upstream connection, no record', async () => {
    const upstream = await streamUpstream({ host: '127.0.0.1', port: 0 }, (socket) => socket.pipe(socket));
    const daemon = await startDaemon([front(upstream.uri, {}, { handshakeTimeoutMs: 300 })]);
    const uri = addressOf(daemon, 'front');

    const plain = await connectSocket(uri.replace('tls:', 'tcp:'));
    const plainEnded = endingOf(plain);
    plain.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await plainEnded).not.toBe('still open');
    await expect.poll(() => daemon.stats().servers.front!.tls?.failed['not-tls']).toBe(1);

    const silent = await connectSocket(uri.replace('tls:', 'tcp:'));
    const silentEnded = endingOf(silent);
    await expect.poll(() => daemon.stats().servers.front!.tls?.inProgress).toBe(1);
    expect(daemon.listConnections().total).toBe(0);
    expect(await silentEnded).not.toBe('still open');
    expect(daemon.stats().servers.front!.tls).toMatchObject({ ok: 0, inProgress: 0, failed: { 'not-tls': 1, 'handshake-timeout': 1 } });

    expect(upstream.sockets).toHaveLength(0);
    expect(daemon.stats().servers.front).toMatchObject({ accepted: 0, active: 0 });
    const client = await tlsConnect(uri, { ca: certs.ca.cert, servername: 'localhost' });
    client.write('still served\n');
    const [echoed] = (await once(client, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('still served\n');
  });

  it('counts a connection in its handshake against maxConnections and maxPerSource, and refuses at TCP accept (before any handshake)', async () => {
    const upstream = await streamUpstream({ host: '127.0.0.1', port: 0 }, (socket) => socket.pipe(socket));
    const daemon = await startDaemon([front(upstream.uri, { maxConnections: 1 }), { ...front(upstream.uri, { maxPerSource: 1 }), name: 'per-source' }]);
    for (const [name, reason] of [['front', 'maxConnections'], ['per-source', 'maxPerSource']] as const) {
      const uri = addressOf(daemon, name).replace('tls:', 'tcp:');
      const holding = await connectSocket(uri);
      const held = endingOf(holding);
      await expect.poll(() => daemon.stats().servers[name]!.tls?.inProgress).toBe(1);
      // The refusal comes before the server says a word: the client's handshake sees the connection end.
      await expect(tlsConnect(addressOf(daemon, name), { ca: certs.ca.cert, servername: 'localhost' })).rejects.toThrow();
      expect(daemon.stats().servers[name]!.refused[reason]).toBe(1);
      expect(daemon.stats().servers[name]!.tls?.failed).toEqual({});
      holding.destroy();
      await held;
    }
    expect(upstream.sockets).toHaveLength(0);
  });

  it('refuses a denied source at TCP accept, with no handshake', async () => {
    const upstream = await streamUpstream({ host: '127.0.0.1', port: 0 }, (socket) => socket.pipe(socket));
    const daemon = await startDaemon([front(upstream.uri, { deny: ['127.0.0.0/8'] })]);
    await expect(tlsConnect(addressOf(daemon, 'front'), { ca: certs.ca.cert, servername: 'localhost' })).rejects.toThrow();
    expect(daemon.stats().servers.front).toMatchObject({ refused: { denied: 1 }, tls: { ok: 0, failed: {}, inProgress: 0 } });
  });
});
