import { execFileSync, spawn } from 'node:child_process';
import { createSocket, type SocketOptions } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { reusePortSupported } from '@evergreen/udp';
import { kernelUdpDrops, ownUdpSocketInode, udpSocketLines } from '../../src/daemon/hosting/kernel-udp-drops.js';
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

  // Each Node asserts its own branch: with reusePort two processes share the port, without it each has its own.
  it(`finds this process's own socket among those bound to one address${reusePortSupported() ? ', with another process sharing it by SO_REUSEPORT' : ''}`, async () => {
    const reusePort = reusePortSupported();
    // Typed wide: Node 20's typings have no reusePort (and it has none to give).
    const options = { type: 'udp4', ...(reusePort && { reusePort: true }) } as SocketOptions;
    // A port 0 bound with reusePort may join another group of this user: the port is found without it.
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = probe.address().port;
    probe.close();
    const socket = createSocket(options);
    afterTest(() => socket.close());
    socket.on('message', () => {});
    socket.bind(port, '127.0.0.1');
    await once(socket, 'listening');
    // The kernel's least: of its share of a burst, this socket keeps a datagram or two.
    socket.setRecvBufferSize(1);
    const address = { address: '127.0.0.1', port: socket.address().port, family: 'IPv4' as const };
    // Another process, reading all it gets: bound to our port where it may share it, else to a port of its own.
    const child = spawn(process.execPath, ['-e', `
      const s = require('node:dgram').createSocket({ type: 'udp4', reusePort: ${reusePort} });
      s.on('message', () => {});
      s.bind(${reusePort ? address.port : 0}, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));
      process.stdin.on('end', () => process.exit(0)).resume();`], { stdio: ['pipe', 'pipe', 'inherit'] });
    afterTest(() => child.kill('SIGKILL'));
    const [childPort] = (await once(child.stdout!, 'data')) as [Buffer];
    const childAddress = { ...address, port: Number(String(childPort)) };
    // Where it may, the child shares our very port (said with what it printed, should it not). It writes a
    // string: console.log colours a number when FORCE_COLOR is set, as it is in CI.
    if (reusePort) expect(childAddress.port, `the child printed ${JSON.stringify(String(childPort))}`).toBe(address.port);
    else expect(ownUdpSocketInode(childAddress)).toBeUndefined();
    const own = ownUdpSocketInode(address);
    expect(own).toBeDefined();
    if (!reusePort) {
      expect(udpSocketLines(address)!.map((line) => line.inode)).toEqual([own]);
      return;
    }
    // Two sockets on one address: the child's, and ours.
    const lines = udpSocketLines(address)!;
    expect(lines).toHaveLength(2);
    expect(lines.filter((line) => line.inode === own)).toHaveLength(1);
    // This process blocked while the sources send: its tiny buffer drops nearly all of its half; the
    // child's default one keeps about 90 of its half even if the child never gets to read (a loaded machine).
    execFileSync(process.execPath, [UDP_SOURCES, String(address.port), String(SOURCES), String(DATAGRAM_BYTES)], { timeout: BURST_TIMEOUT_MS, stdio: 'ignore' });
    const after = udpSocketLines(address)!;
    const childDrops = after.find((line) => line.inode !== own)!.drops;
    expect(kernelUdpDrops(address, own)).toBe(after.find((line) => line.inode === own)!.drops);
    expect(kernelUdpDrops(address, own)).toBeGreaterThan(childDrops);
    child.stdin!.end();
  });
});
