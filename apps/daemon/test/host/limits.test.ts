import { afterEach, describe, expect, it } from 'vitest';
import { until } from '@evergreen/stream-core/testing';
import { boundSocket } from './datagram-transfer.js';
import { addressOf, Client, expectRefused, loopbackServer, portOf, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

/** Another loopback address: on Linux all of 127.0.0.0/8 is the loopback, so this is a second source. */
const OTHER_SOURCE = '127.0.0.2';

describe('admission limits of a hosted server', () => {
  it('refuses the connection past maxConnections at once, counts it, and serves again once one closes', async () => {
    const daemon = await startDaemon([loopbackServer('echo', 'echo', { maxConnections: 2 })]);
    const address = addressOf(daemon, 'echo');
    const first = await Client.connect(address);
    const second = await Client.connect(address);
    expect(await first.exchange('one\n')).toBe('one\n');
    expect(await second.exchange('two\n')).toBe('two\n');

    await expectRefused(await Client.connect(address));
    expect(daemon.server('echo').stats.refused.maxConnections).toBe(1);

    first.socket.end();
    await until(() => daemon.server('echo').stats.active === 1, 'the closed connection to be gone');
    expect(await (await Client.connect(address)).exchange('three\n')).toBe('three\n');
    expect(await second.exchange('still\n')).toBe('still\n');
    expect(daemon.server('echo').stats.accepted).toBe(3);
  });

  it('refuses a source past maxPerSource while another source is served', async () => {
    const daemon = await startDaemon([loopbackServer('echo', 'echo', { maxPerSource: 2 })]);
    const address = addressOf(daemon, 'echo');
    const kept = [await Client.connect(address), await Client.connect(address)];
    for (const client of kept) expect(await client.exchange('hi\n')).toBe('hi\n');

    await expectRefused(await Client.connect(address));
    const other = await Client.connect(address, OTHER_SOURCE);

    expect(await other.exchange('other\n')).toBe('other\n');
    const stats = daemon.server('echo').stats;
    expect({ refused: stats.refused.maxPerSource, active: stats.active }).toEqual({ refused: 1, active: 3 });
  });

  it('refuses a denied source, counted as denied, and serves sources outside the deny list on v4 and v6 listeners', async () => {
    const deny = ['127.0.0.1/32'];
    const daemon = await startDaemon([
      { name: 'v4', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, deny },
      { name: 'v6', listen: 'tcp://[::1]:0', handler: { type: 'echo' }, deny },
    ]);

    await expectRefused(await Client.connect(addressOf(daemon, 'v4')));
    const fromOther = await Client.connect(addressOf(daemon, 'v4'), OTHER_SOURCE);
    const fromV6 = await Client.connect(addressOf(daemon, 'v6'));

    expect(await fromOther.exchange('other\n')).toBe('other\n');
    expect(await fromV6.exchange('six\n')).toBe('six\n');
    expect(daemon.server('v4').stats.refused.denied).toBe(1);
    expect(daemon.server('v6').stats.refused.denied).toBe(0);
  });

  it('serves only sources in the allow list and counts the others as denied', async () => {
    const daemon = await startDaemon([{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, allow: [`${OTHER_SOURCE}/32`] }]);
    const address = addressOf(daemon, 'echo');

    await expectRefused(await Client.connect(address));
    await expectRefused(await Client.connect(address));
    const allowed = await Client.connect(address, OTHER_SOURCE);

    expect(await allowed.exchange('allowed\n')).toBe('allowed\n');
    expect(daemon.server('echo').stats.refused.denied).toBe(2);
    expect(daemon.server('echo').stats.accepted).toBe(1);
  });

  it('closes a connection idle for idleTimeoutMs, and active goes back down without counting an error', async () => {
    const daemon = await startDaemon([loopbackServer('echo', 'echo', { idleTimeoutMs: 200 })]);
    const client = await Client.connect(addressOf(daemon, 'echo'));
    expect(await client.exchange('hello\n')).toBe('hello\n');
    expect(daemon.server('echo').stats.active).toBe(1);

    const { rest } = await client.ending();

    expect(rest.length).toBe(0);
    await until(() => daemon.server('echo').stats.active === 0, 'the idle connection to be gone');
    expect(daemon.server('echo').stats.errors).toBe(0);
  });

  it('limits UDP client flows like connections: a flow past maxConnections is refused and counted, an idle flow ends and frees its place', async () => {
    const daemon = await startDaemon([{ name: 'udp', listen: 'udp://127.0.0.1:0', handler: { type: 'echo' }, maxConnections: 1, idleTimeoutMs: 300 }]);
    const port = portOf(addressOf(daemon, 'udp'));
    const [first, second] = [await boundSocket(), await boundSocket()];
    const echoed: Record<string, string[]> = { first: [], second: [] };
    first!.on('message', (data: Buffer) => echoed.first!.push(data.toString()));
    second!.on('message', (data: Buffer) => echoed.second!.push(data.toString()));

    first!.send('one', port, '127.0.0.1');
    await until(() => echoed.first!.length === 1, 'the first flow to be echoed');
    second!.send('two', port, '127.0.0.1');
    await until(() => daemon.server('udp').stats.refused.maxConnections === 1, 'the second flow to be refused');
    await until(() => daemon.server('udp').stats.active === 0, 'the first flow to idle out');
    second!.send('three', port, '127.0.0.1');
    await until(() => echoed.second!.length === 1, 'the second flow to be echoed');

    expect(echoed).toEqual({ first: ['one'], second: ['three'] });
    expect(daemon.server('udp').stats.accepted).toBe(2);
  });
});
