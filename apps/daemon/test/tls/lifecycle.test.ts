import { once } from 'node:events';
import { copyFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, opensslVersion, type TestCertificates } from '@evergreen/tls/testing';
import { cleanUp } from '../daemon-process.js';
import { daemonFromConfig, sandboxWithCertificates } from './config-sandbox.js';
import { endingOf, halfOpen } from './tls-peers.js';

const opened: { destroy(): void }[] = [];
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy();
  await cleanUp();
});

/** A verified TLS client of `uri`'s port (as "localhost"), resolved after its handshake; `session` resumes one. */
async function client(uri: string, ca: string, session?: Buffer): Promise<TLSSocket & { sessions: Buffer[] }> {
  const socket = connect({ host: '127.0.0.1', port: Number(new URL(uri.replace('tls:', 'https:')).port), servername: 'localhost', ca, session, ...halfOpen }) as TLSSocket & { sessions: Buffer[] };
  opened.push(socket);
  socket.sessions = [];
  socket.on('session', (saved: Buffer) => socket.sessions.push(saved));
  await Promise.race([once(socket, 'secureConnect'), once(socket, 'error').then(([error]) => Promise.reject(error as Error))]);
  return socket;
}

/** Writes `line` and resolves the echo. */
async function echo(socket: TLSSocket, line: string): Promise<string> {
  socket.write(line);
  let received = '';
  while (!received.includes('\n')) received += ((await once(socket, 'data')) as [Buffer])[0].toString();
  return received;
}

describe.skipIf(opensslVersion === undefined)('tls:// servers over the daemon\'s life: drain on SIGTERM, credentials swapped on reload', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  const api = { name: 'api', listen: 'tls://127.0.0.1:0', handler: { type: 'echo' }, tls: { cert: 'certs/server.crt', key: 'certs/server.key', handshakeTimeoutMs: 60_000 } };

  it('SIGTERM drains an open TLS connection (it keeps working until it ends) and ends a handshake in progress at once', async () => {
    const sandbox = await sandboxWithCertificates(certs);
    const { daemon, uris, control } = await daemonFromConfig(sandbox, { servers: [api] });
    const served = await client(uris[0]!, certs.ca.cert);
    expect(await echo(served, 'before\n')).toBe('before\n');
    const handshaking = netConnect({ host: '127.0.0.1', port: Number(new URL(uris[0]!.replace('tls:', 'https:')).port) });
    opened.push(handshaking);
    const handshakeEnded = endingOf(handshaking);
    await expect.poll(async () => (await control.stats()).servers.api!.tls?.inProgress).toBe(1);
    control.close();

    daemon.signal('SIGTERM');
    await daemon.waitForLog('stopping: draining connections');
    expect(await handshakeEnded).not.toBe('still open');
    expect(await echo(served, 'during the drain\n')).toBe('during the drain\n');
    expect(daemon.running).toBe(true);
    served.end();
    expect(await endingOf(served)).toBe('eof');
    expect(await daemon.waitForExit()).toEqual({ code: 0, signal: null });
  });

  it('SIGHUP and tls.reload swap the certificate without rebinding: an open connection goes on, the next handshake presents the new one, a saved session resumes; a bad key keeps the old', async () => {
    const sandbox = await sandboxWithCertificates(certs);
    const { daemon, uris, control } = await daemonFromConfig(sandbox, { servers: [api] });
    const before = await client(uris[0]!, certs.ca.cert);
    expect(await echo(before, 'hello\n')).toBe('hello\n');
    expect(before.getPeerCertificate().subject.CN).toBe('server');
    await expect.poll(() => before.sessions.length).toBeGreaterThan(0);
    const saved = before.sessions.at(-1)!;
    const [{ tls: first }] = await control.listServers();

    await copyFile(join(sandbox.dir, 'certs', 'server-renewed.crt'), join(sandbox.dir, 'certs', 'server.crt'));
    await copyFile(join(sandbox.dir, 'certs', 'server-renewed.key'), join(sandbox.dir, 'certs', 'server.key'));
    daemon.signal('SIGHUP');
    const { report } = await daemon.waitForLog('SIGHUP: config reloaded');
    expect(report).toMatchObject({ unchanged: ['api'], restarted: [], tls: [{ name: 'api', status: 'reloaded' }] });
    const [{ address, tls: second }] = await control.listServers();
    expect(address).toBe(uris[0]);
    expect(second!.certificate.subject).toBe('CN=server-renewed');
    expect(second!.hash).not.toBe(first!.hash);

    expect(await echo(before, 'still here\n')).toBe('still here\n');
    const after = await client(uris[0]!, certs.ca.cert);
    expect(after.getPeerCertificate().subject.CN).toBe('server-renewed');
    const resumed = await client(uris[0]!, certs.ca.cert, saved);
    expect(resumed.isSessionReused()).toBe(true);
    expect(await echo(resumed, 'resumed\n')).toBe('resumed\n');

    expect(await control.reloadTls()).toEqual({ servers: [{ name: 'api', credentials: 'server', status: 'unchanged', hash: second!.hash }] });
    await copyFile(join(sandbox.dir, 'certs', 'alice.key'), join(sandbox.dir, 'certs', 'server.key'));
    const failed = await control.reloadTls('api');
    expect(failed.servers).toEqual([{ name: 'api', credentials: 'server', status: 'failed', hash: second!.hash, message: expect.stringContaining('tls.key') }]);
    const afterFailure = await client(uris[0]!, certs.ca.cert);
    expect(afterFailure.getPeerCertificate().subject.CN).toBe('server-renewed');
    await expect.poll(async () => (await control.stats()).servers.api!.tls).toMatchObject({ ok: 4, resumed: 1 });
    control.close();
  });
});
