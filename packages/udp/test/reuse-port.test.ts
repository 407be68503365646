import { describe, expect, it } from 'vitest';
import { EADDRINUSE, ENOTSUP } from '@evergreen/errno';
import { reusePortSupported, transport, UDPError, type UDPEndpoint } from '../src/index.js';
import { V4, bound, endpoint, until } from './helpers.js';

/** Senders in the sharing test: with two sockets, all landing on one has odds 2^-19. */
const SENDERS = 20;
const PER_SENDER = 3;

describe('reusePortSupported', () => {
  it('is true from Node 22.12 and 23.1 on, on platforms that balance SO_REUSEPORT', () => {
    expect(reusePortSupported('20.19.0', 'linux')).toBe(false);
    expect(reusePortSupported('22.11.0', 'linux')).toBe(false);
    expect(reusePortSupported('22.12.0', 'linux')).toBe(true);
    expect(reusePortSupported('23.0.0', 'linux')).toBe(false);
    expect(reusePortSupported('23.1.0', 'linux')).toBe(true);
    expect(reusePortSupported('v24.21.0', 'freebsd')).toBe(true);
    expect(reusePortSupported('24.21.0', 'darwin')).toBe(false);
    expect(reusePortSupported('24.21.0', 'win32')).toBe(false);
    expect(() => reusePortSupported('24', 'linux')).toThrow(TypeError);
  });

  it('is what the transport reports', () => {
    expect(transport.reusePort).toBe(reusePortSupported());
  });
});

describe('reusePort', () => {
  // Each Node version asserts its own branch: the option works, or is refused.
  it(`${reusePortSupported() ? 'lets endpoints share a port, each sender staying with one' : 'is refused with ENOTSUP'} on Node ${process.versions.node}`, async () => {
    if (!reusePortSupported()) {
      const refused = endpoint({ reusePort: true });
      const err = await refused.bind(V4).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UDPError);
      expect(err).toMatchObject({ code: 'ENOTSUP', errno: ENOTSUP });
      expect((err as Error).message).toMatch(/^Cannot bind 127\.0\.0\.1:0: reusePort needs Node >= 22\.12/);
      expect(() => refused.sockname).toThrow(UDPError);
      const sendErr = await endpoint({ reusePort: true }).send('x', { host: '127.0.0.1', port: 9 }).catch((e: unknown) => e);
      expect(sendErr).toMatchObject({ code: 'ENOTSUP' });
      return;
    }
    // A port 0 bound with reusePort may join another group of this user: the port is found without it.
    const free = await bound(V4);
    const port = free.sockname.port;
    free.close();
    const first = await bound({ host: '127.0.0.1', port }, { reusePort: true });
    const second = await bound(first.sockname, { reusePort: true });
    expect(second.sockname.port).toBe(first.sockname.port);
    // One without the option cannot join the group.
    const err = await endpoint().bind(first.sockname).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EADDRINUSE', errno: EADDRINUSE });
    const senders = await Promise.all(Array.from({ length: SENDERS }, () => bound(V4)));
    for (let round = 0; round < PER_SENDER; round++) for (const sender of senders) await sender.send(`from ${sender.sockname.port}`, first.sockname);
    const total = (): number => first.stats.received + second.stats.received;
    expect(await until(() => total() === SENDERS * PER_SENDER, total, 500)).toBe(true);
    const receivers = new Map<string, Set<UDPEndpoint>>();
    for (const receiver of [first, second]) {
      for (const [data] of await receiver.receiveBatch()) {
        const seen = receivers.get(data.toString()) ?? new Set();
        receivers.set(data.toString(), seen.add(receiver));
      }
    }
    expect(receivers.size).toBe(SENDERS);
    for (const seen of receivers.values()) expect(seen.size).toBe(1);
    expect(first.stats.received).toBeGreaterThan(0);
    expect(second.stats.received).toBeGreaterThan(0);
  });
});
