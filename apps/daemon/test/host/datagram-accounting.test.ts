import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { kernelUdpDrops } from '../../src/daemon/hosting/kernel-udp-drops.js';
import { addressOf, afterTest, portOf, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

const UDP_SOURCES = fileURLToPath(new URL('../fixtures/udp-sources.mjs', import.meta.url));
/** New clients at once: several times what the default kernel buffer (about 212 KiB) keeps of them, about 90. */
const SOURCES = 300;
const DATAGRAM_BYTES = 1024;
/** Fewer sessions than the kernel keeps datagrams: both the cap and the buffer refuse some. */
const MAX_SESSIONS = 40;
const BURST_TIMEOUT_MS = 15_000;

describe('datagram accounting', () => {
  it(`${SOURCES} new sources at once against a ${MAX_SESSIONS}-session cap: every datagram is a session or counted as refused (the cap's, or resources for the ones the kernel dropped)`, async () => {
    const daemon = await startDaemon([{ name: 'udp', listen: 'udp://127.0.0.1:0', handler: { type: 'discard' }, maxConnections: MAX_SESSIONS }]);
    const port = portOf(addressOf(daemon, 'udp'));

    // This process, the daemon's, is blocked while they are sent: they all wait in (or overflow) the kernel's buffer.
    execFileSync(process.execPath, [UDP_SOURCES, String(port), String(SOURCES), String(DATAGRAM_BYTES)], { timeout: BURST_TIMEOUT_MS, stdio: 'ignore' });

    // A sum that misses the kernel's drops stops short of SOURCES: the wait gives up.
    const counted = (): number => {
      const { accepted, refused } = daemon.server('udp').stats;
      return accepted + Object.values(refused).reduce((sum, count) => sum + count, 0);
    };
    await until(() => counted() === SOURCES, "every datagram to be counted").catch((error: Error) => Promise.reject(new Error(`${error.message}: ${JSON.stringify(daemon.server("udp").stats)}`)));
    const { accepted, refused } = daemon.server('udp').stats;
    expect(accepted).toBe(MAX_SESSIONS);
    expect(refused.maxConnections).toBeGreaterThan(0);
    expect(refused.resources).toBeGreaterThan(0);
  });
  it.each([
    ['udp4', '127.0.0.1', 'IPv4'],
    ['udp6', '::1', 'IPv6'],
  ] as const)('reads the kernel\'s drops of a %s socket from its line in /proc/net, found by its address (%s)', async (type, host, family) => {
    const socket = createSocket(type);
    afterTest(() => socket.close());
    socket.bind(0, host);
    await once(socket, 'listening');

    expect(kernelUdpDrops({ address: host, port: socket.address().port, family })).toBe(0);
    expect(kernelUdpDrops({ address: host, port: 9, family })).toBeUndefined();
  });
});
