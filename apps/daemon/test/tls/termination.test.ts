import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, opensslVersion, type TestCertificates } from '@evergreen/tls/testing';
import { addressOf, Client, connectSocket, listenForTest, releaseAll, startDaemon, tempDir } from '../host/harness.js';
import { mismatches, payloadUpstream } from '../host/upstreams.js';
import { exchangePayloads } from '../host/payload.js';
import { tlsConnect, tlsUpstream } from './tls-peers.js';

const SIZE = 4 * 1024 * 1024;

afterEach(releaseAll);

describe.skipIf(opensslVersion === undefined)('tls:// in evergreend: termination and origination', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('terminates TLS in front of a plain TCP service: 4 MiB byte-exact both ways with half-close (%s)', async (version) => {
    const upstream = await payloadUpstream({ host: '127.0.0.1', port: 0 }, SIZE);
    const daemon = await startDaemon([
      { name: 'front', listen: 'tls://127.0.0.1:0', handler: { type: 'forward', target: upstream.uri }, tls: { cert: certs.server.certPath, key: certs.server.keyPath } },
    ]);
    const client = await tlsConnect(addressOf(daemon, 'front'), { ca: certs.ca.cert, servername: 'localhost', maxVersion: version });
    expect(client.getProtocol()).toBe(version);
    const transfer = await exchangePayloads(client, SIZE);
    await expect.poll(() => upstream.transfers.length).toBe(1);
    expect(upstream.failures).toEqual([]);
    expect(mismatches([transfer], upstream.transfers, SIZE)).toEqual([]);
  });

  it('originates TLS to an upstream that verifies as its CA and name say: 4 MiB byte-exact both ways with half-close', async () => {
    const upstream = await tlsUpstream({ cert: certs.server.cert, key: certs.server.key }, (socket) => {
      exchangePayloads(socket, SIZE).then((transfer) => transfers.push(transfer), (error: unknown) => failures.push(error));
    });
    const transfers: Awaited<ReturnType<typeof exchangePayloads>>[] = [];
    const failures: unknown[] = [];
    const target = upstream.uri.replace('127.0.0.1', 'localhost');
    const daemon = await startDaemon([
      { name: 'origin', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target, tls: { ca: certs.ca.certPath } } },
    ]);
    const client = await connectSocket(addressOf(daemon, 'origin'));
    const transfer = await exchangePayloads(client, SIZE);
    await expect.poll(() => transfers.length).toBe(1);
    expect(failures).toEqual([]);
    expect(mismatches([transfer], transfers, SIZE)).toEqual([]);
  });

  it('gives up on an upstream that never finishes its TLS handshake after connectTimeoutMs: the client is reset, the upstream socket closed', async () => {
    const silent: Socket[] = [];
    // Reads what it is sent (a ClientHello) and never answers.
    const listener = createServer((socket) => {
      silent.push(socket);
      socket.on('error', () => {}).resume();
    });
    await listenForTest(listener, silent, { host: '127.0.0.1', port: 0 });
    const { port } = listener.address() as AddressInfo;
    const daemon = await startDaemon([
      { name: 'origin', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tls://127.0.0.1:${port}`, connectTimeoutMs: 300, tls: { ca: certs.ca.certPath, servername: 'localhost' } } },
    ]);
    const client = await Client.connect(addressOf(daemon, 'origin'));
    expect((await client.ending()).how).toBe('reset');
    expect(silent).toHaveLength(1);
    await expect.poll(() => silent[0]!.readableEnded).toBe(true);
  });

  it('relays between two daemons with mTLS at both ends: the allowed client certificate passes 4 MiB both ways, another from the same CA is refused as not-allowed', async () => {
    const upstream = await payloadUpstream({ host: '127.0.0.1', port: 0 }, SIZE);
    const inner = await startDaemon([
      {
        name: 'inner',
        listen: 'tls://127.0.0.1:0',
        handler: { type: 'forward', target: upstream.uri },
        tls: { cert: certs.server.certPath, key: certs.server.keyPath, ca: certs.ca.certPath, clientAuth: 'require', allow: { cn: ['alice'] } },
      },
    ]);
    const innerURI = addressOf(inner, 'inner').replace('127.0.0.1', 'localhost');
    const outer = await startDaemon([
      { name: 'outer', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: innerURI, tls: { ca: certs.ca.certPath, cert: certs.alice.certPath, key: certs.alice.keyPath } } },
      { name: 'impostor', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: innerURI, tls: { ca: certs.ca.certPath, cert: certs.mallory.certPath, key: certs.mallory.keyPath } } },
    ]);

    const client = await connectSocket(addressOf(outer, 'outer'));
    // The forward dials its upstream on accept: the inner connection is
    // listed before a byte is sent, so it is looked at while surely open
    // (a 4 MiB exchange already under way can end between two polls). Two
    // connects and an mTLS handshake on a loaded 2-core machine: a bound of
    // 10 s, not the default 1 s (not a speed assertion).
    await expect.poll(() => inner.listConnections().items.length, { timeout: 10_000 }).toBe(1);
    expect(inner.listConnections().items[0]!.tls).toMatchObject({ peer: 'alice', version: 'TLSv1.3', resumed: false });
    const transfer = await exchangePayloads(client, SIZE);
    await expect.poll(() => upstream.transfers.length).toBe(1);
    expect(mismatches([transfer], upstream.transfers, SIZE)).toEqual([]);

    const refused = await connectSocket(addressOf(outer, 'impostor'));
    refused.end('not for mallory');
    await expect.poll(() => inner.stats().servers.inner!.tls?.failed['not-allowed']).toBe(1);
    expect(upstream.sockets).toHaveLength(1);
    expect(inner.stats().servers.inner!.tls).toMatchObject({ ok: 1, inProgress: 0 });
  });

  it('tls.reload reaches a forward\'s client certificate: the upstream refuses the old one and takes the new one, without a restart', async () => {
    const dir = await tempDir();
    const client = { cert: join(dir, 'client.crt'), key: join(dir, 'client.key') };
    await copyFile(certs.mallory.certPath, client.cert);
    await copyFile(certs.mallory.keyPath, client.key);
    const inner = await startDaemon([
      { name: 'inner', listen: 'tls://127.0.0.1:0', handler: { type: 'echo' },
        tls: { cert: certs.server.certPath, key: certs.server.keyPath, ca: certs.ca.certPath, clientAuth: 'require', allow: { cn: ['alice'] } } },
    ]);
    const outer = await startDaemon([
      { name: 'outer', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: addressOf(inner, 'inner').replace('127.0.0.1', 'localhost'), tls: { ca: certs.ca.certPath, ...client } } },
    ]);
    const refused = await connectSocket(addressOf(outer, 'outer'));
    refused.end('as mallory');
    await expect.poll(() => inner.stats().servers.inner!.tls?.failed['not-allowed']).toBe(1);

    await copyFile(certs.alice.certPath, client.cert);
    await copyFile(certs.alice.keyPath, client.key);
    expect(await outer.reloadTls('outer')).toEqual([{ name: 'outer', credentials: 'upstream', status: 'reloaded', hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const served = await connectSocket(addressOf(outer, 'outer'));
    served.write('as alice\n');
    const [echoed] = (await once(served, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('as alice\n');
    expect(inner.listConnections().items[0]!.tls?.peer).toBe('alice');

    await copyFile(certs.mallory.keyPath, client.key);
    const [failed] = await outer.reloadTls();
    expect(failed).toMatchObject({ name: 'outer', credentials: 'upstream', status: 'failed', message: expect.stringContaining('handler.tls.key') });
  });
});
