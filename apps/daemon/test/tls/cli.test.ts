import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, opensslVersion, type TestCertificates } from '@evergreen/tls/testing';
import type { DaemonStats, ServerInfo } from '../../src/protocol/results.js';
import { ctl, ctlJson, startDaemon } from '../ctl/ctl-helpers.js';

/** The port of a `tls://` or `tcp://` URI. */
const portOf = (uri: string): string => new URL(uri.replace(/^\w+:/, 'http:')).port;

describe.skipIf(opensslVersion === undefined)('evergreenctl and tls://', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  it('connect tls:// verifies the server by default: with --ca it talks, without it refuses (exit 1) and sends nothing', async () => {
    const daemon = await startDaemon([{ name: 'api', listen: 'tls://127.0.0.1:0', handler: { type: 'echo' }, tls: { cert: certs.server.certPath, key: certs.server.keyPath } }]);
    const [server] = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    const uri = `tls://localhost:${portOf(server!.address!)}`;
    expect(await ctl(['connect', uri, '--ca', certs.ca.certPath], { stdin: 'over tls\n' })).toMatchObject({ code: 0, stdout: 'over tls\n', stderr: '' });
    const refused = await ctl(['connect', uri], { stdin: 'never sent\n' });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('certificate');
    expect(await ctl(['connect', uri, '--ca', certs.ca.certPath, '--servername', 'other.example.com'], { stdin: 'x\n' })).toMatchObject({ code: 1, stdout: '' });
    expect(await ctl(['connect', `tcp://127.0.0.1:${portOf(server!.address!)}`, '--ca', certs.ca.certPath])).toMatchObject({ code: 2 });
  });

  it('servers add with --cert --key --ca --client-auth --allow-cn; a forward with --target-ca/--target-cert/--target-key; tls reload; the listings show TLS', async () => {
    const daemon = await startDaemon([]);
    const added = await ctlJson<ServerInfo>([...daemon.flag, 'servers', 'add', 'inner', 'tls://127.0.0.1:0', '--cert', certs.server.certPath, '--key', certs.server.keyPath,
      '--ca', certs.ca.certPath, '--client-auth', '--allow-cn', 'alice', '--alpn', 'h2,http/1.1']);
    expect(added.spec.tls).toEqual({ cert: certs.server.certPath, key: certs.server.keyPath, ca: certs.ca.certPath, clientAuth: 'require', allow: { cn: ['alice'] }, alpn: ['h2', 'http/1.1'] });
    const inner = `tls://localhost:${portOf(added.address!)}`;
    const alice = ['--ca', certs.ca.certPath, '--cert', certs.alice.certPath, '--key', certs.alice.keyPath];
    expect(await ctl(['connect', inner, ...alice], { stdin: 'mutual\n' })).toMatchObject({ code: 0, stdout: 'mutual\n' });

    const outer = await ctlJson<ServerInfo>([...daemon.flag, 'servers', 'add', 'outer', 'tcp://127.0.0.1:0', '--handler', 'forward', '--target', inner,
      '--target-ca', certs.ca.certPath, '--target-cert', certs.mallory.certPath, '--target-key', certs.mallory.keyPath]);
    const relayed = await ctl(['connect', outer.address!], { stdin: 'from mallory\n' });
    expect(relayed.stdout).toBe('');
    await expect.poll(async () => (await ctlJson<DaemonStats>([...daemon.flag, 'stats'])).servers.inner!.tls?.failed['not-allowed']).toBe(1);

    const listing = await ctl([...daemon.flag, 'servers']);
    expect(listing.stdout).toMatch(/inner: CN=server \[DNS:localhost, IP Address:127\.0\.0\.1, .*\] until \d{4}-\d\d-\d\d \(\d+ days left\)/);
    expect(listing.stdout).toMatch(/handshakes: 1 ok \(0 resumed\), 0 in progress, failed: not-allowed 1/);
    expect(await ctl([...daemon.flag, 'tls', 'reload'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ {2}inner: unchanged \(sha256 [0-9a-f]{16}\)\n {2}outer \(forward\): unchanged \(sha256 [0-9a-f]{16}\)\n$/) });
    await ctl([...daemon.flag, 'servers', 'add', 'plain', 'tcp://127.0.0.1:0']);
    expect(await ctl([...daemon.flag, 'tls', 'reload', 'plain'])).toMatchObject({ code: 1, stderr: expect.stringContaining('not a tls:// server nor a forward to one') });
  });

  it('servers add names the flag of a TLS setting that does not fit (exit 2, nothing sent)', async () => {
    const daemon = await startDaemon([]);
    const missing = await ctl([...daemon.flag, 'servers', 'add', 'api', 'tls://127.0.0.1:0']);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('tls (--cert, --key): got nothing') });
    const onTcp = await ctl([...daemon.flag, 'servers', 'add', 'api', 'tcp://127.0.0.1:0', '--cert', certs.server.certPath, '--key', certs.server.keyPath]);
    expect(onTcp).toMatchObject({ code: 2, stderr: expect.stringContaining('expected no tls block') });
    const badTimeout = await ctl([...daemon.flag, 'servers', 'add', 'api', 'tls://127.0.0.1:0', '--cert', certs.server.certPath, '--key', certs.server.keyPath, '--handshake-timeout-ms', 'soon']);
    expect(badTimeout).toMatchObject({ code: 2, stderr: expect.stringContaining('tls.handshakeTimeoutMs (--handshake-timeout-ms)') });
    expect(await ctlJson<ServerInfo[]>([...daemon.flag, 'servers'])).toEqual([]);
  });
});
