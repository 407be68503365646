import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { serverUpdateSchema, type ServerLimits, type ServerSpec } from '../../src/protocol/server-spec.js';
import { boundSocket } from './datagram-transfer.js';
import { addressOf, config, loopbackServer, portOf, rejection, releaseAll, startDaemon, tempDir } from './harness.js';

afterEach(releaseAll);

const UDP_BURST = fileURLToPath(new URL('../fixtures/udp-burst.mjs', import.meta.url));
const MiB = 1024 * 1024;
/** What the tests ask for; the kernel grants twice the smaller of it and net.core.rmem_max. */
const REQUESTED = 4 * MiB;
const DATAGRAM_BYTES = 1024;
/** What the kernel charges one such datagram against the buffer, generously (its skb is about 2.3 KiB on loopback). */
const CHARGED_BYTES = 4096;
/** The most datagrams of a burst: several times what the usual default buffer (212992 bytes) keeps, about 90. */
const MOST_DATAGRAMS = 500;
const BURST_TIMEOUT_MS = 10_000;
const MARKER = 'after the burst';

/** A udp server that discards, with the buffer the tests ask for (or `limits`). */
function udpServer(name: string, limits: ServerLimits = { recvBufferSize: REQUESTED }): ServerSpec {
  return { name, listen: 'udp://127.0.0.1:0', handler: { type: 'discard' }, ...limits };
}

/**
 * The datagrams of a burst a buffer of REQUESTED bytes keeps whole: at most
 * half of what the kernel grants, so the tests hold on a machine whose
 * rmem_max is below REQUESTED too.
 */
function burstSize(): number {
  const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  return Math.min(MOST_DATAGRAMS, Math.floor(Math.min(REQUESTED, rmemMax) / CHARGED_BYTES));
}

/**
 * Sends `count` datagrams to the server from a child process while this one
 * (and the daemon in it) is blocked in `execFileSync`, so they all wait in
 * the listening socket's kernel buffer; then a marker from a second flow.
 * Resolves the payload bytes the server took in once it has read the marker:
 * by then it has read whatever of the burst the kernel kept.
 */
async function bytesKeptOfBurst(daemon: Daemon, name: string, count: number): Promise<number> {
  const port = portOf(addressOf(daemon, name));
  const accepted = daemon.server(name).stats.accepted;
  execFileSync(process.execPath, [UDP_BURST, String(port), String(count), String(DATAGRAM_BYTES)], { timeout: BURST_TIMEOUT_MS, stdio: 'ignore' });
  const marker = await boundSocket();
  marker.send(MARKER, port, '127.0.0.1');
  await until(() => daemon.server(name).stats.accepted === accepted + 2, 'the marker\'s flow to open');
  return daemon.server(name).stats.bytesIn - MARKER.length;
}

describe('a datagram server\'s recvBufferSize', () => {
  it('sizes the listening socket\'s kernel buffer: a burst that arrives while the daemon is busy is kept whole', async () => {
    const count = burstSize();
    const daemon = await startDaemon([udpServer('udp')]);

    expect(await bytesKeptOfBurst(daemon, 'udp', count)).toBe(count * DATAGRAM_BYTES);
  });

  it('holds again when a pause that unbinds is resumed: the new socket gets it too', async () => {
    const count = burstSize();
    const daemon = await startDaemon([udpServer('udp')]);
    await daemon.pauseServer('udp', 'unbind');
    await daemon.resumeServer('udp');

    expect(await bytesKeptOfBurst(daemon, 'udp', count)).toBe(count * DATAGRAM_BYTES);
  });

  it('is a listen option: a reload that sets it restarts the server, which then has it', async () => {
    const count = burstSize();
    const daemon = await startDaemon([udpServer('udp', {})]);

    const report = await daemon.reload({ config: config([udpServer('udp')]) });

    expect(report).toMatchObject({ restarted: ['udp'], failed: [] });
    expect(await bytesKeptOfBurst(daemon, 'udp', count)).toBe(count * DATAGRAM_BYTES);
  });

  it('is not among what servers.update changes on a running server', () => {
    const parsed = serverUpdateSchema.safeParse({ name: 'udp', recvBufferSize: REQUESTED });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.code)).toEqual(['unrecognized_keys']);
  });
});

describe('recvBufferSize on a stream server', () => {
  it.each(['tcp', 'pipe'])('rejects addServer on %s with DaemonError invalid at recvBufferSize, and starts nothing', async (scheme) => {
    const listen = scheme === 'tcp' ? 'tcp://127.0.0.1:0' : `pipe://${join(await tempDir(), 'in.sock')}`;
    const daemon = await startDaemon([]);

    const error = await rejection(daemon.addServer({ name: 'bad', listen, handler: { type: 'echo' }, recvBufferSize: REQUESTED }));

    expect(error).toBeInstanceOf(DaemonError);
    expect({ kind: (error as DaemonError).kind, data: (error as DaemonError).data }).toEqual({
      kind: 'invalid',
      data: { path: 'recvBufferSize', value: REQUESTED, expected: 'no recvBufferSize on a stream server (it sizes a datagram socket)' },
    });
    expect((error as Error).message).toBe(`Cannot add server "bad": recvBufferSize applies to datagram (udp) servers and "${scheme}" is a stream transport`);
    expect(daemon.listServers()).toEqual([]);
  });

  it('fails a start whose config sets it on a tcp server with DaemonError invalid', async () => {
    const error = await rejection(startDaemon([loopbackServer('bad', 'echo', { recvBufferSize: REQUESTED })]));

    expect(error).toBeInstanceOf(DaemonError);
    expect({ kind: (error as DaemonError).kind, path: (error as DaemonError).data?.path }).toEqual({ kind: 'invalid', path: 'recvBufferSize' });
  });

  it('fails a reload whose config sets it on a tcp server, and changes nothing', async () => {
    const daemon = await startDaemon([loopbackServer('tcp')]);
    const before = addressOf(daemon, 'tcp');

    const error = await rejection(daemon.reload({ config: config([loopbackServer('tcp', 'echo', { recvBufferSize: REQUESTED })]) }));

    expect({ kind: (error as DaemonError).kind, path: (error as DaemonError).data?.path }).toEqual({ kind: 'invalid', path: 'recvBufferSize' });
    expect(addressOf(daemon, 'tcp')).toBe(before);
    expect(daemon.server('tcp').spec.recvBufferSize).toBeUndefined();
  });
});
