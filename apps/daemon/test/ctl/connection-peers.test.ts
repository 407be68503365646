import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionInfo, ConnectionPage, ServerInfo } from '../../src/protocol/results.js';
import { onCleanup } from '../helpers.js';
import { ctl, ctlJson, startDaemon, tempDir } from './ctl-helpers.js';

/** Each test starts its own daemon and runs several CLI processes: a bound, not a speed assertion. */
const TEST_TIMEOUT_MS = 120_000;

/** A client of `target`, closed after the test, resolved once the daemon has echoed "hi" (so its handler holds it). */
async function echoedClient(target: { host: string; port: number } | { path: string }): Promise<Socket> {
  const socket = connect(target);
  onCleanup(() => socket.destroy());
  await once(socket, 'connect');
  socket.write('hi');
  await once(socket, 'data');
  return socket;
}

async function listOf(flag: string[], ...filters: string[]): Promise<ConnectionInfo[]> {
  return (await ctlJson<ConnectionPage>([...flag, 'conns', ...filters])).items;
}

function tcpPort(address: string | null): number {
  return Number(/:(\d+)$/.exec(address ?? '')![1]);
}

describe('which connection is which: peer and local', () => {
  it('two TCP connections from one host differ by peer (the client port), --peer picks one, and the table shows it in PEER', async () => {
    const daemon = await startDaemon();
    const [server] = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    const port = tcpPort(server!.address);
    const first = await echoedClient({ host: '127.0.0.1', port });
    const second = await echoedClient({ host: '127.0.0.1', port });

    const items = await listOf(daemon.flag);
    expect(items.map(({ source, peer, local }) => ({ source, peer, local }))).toEqual([
      { source: '127.0.0.1', peer: `127.0.0.1:${first.localPort}`, local: `127.0.0.1:${port}` },
      { source: '127.0.0.1', peer: `127.0.0.1:${second.localPort}`, local: `127.0.0.1:${port}` },
    ]);

    const picked = await listOf(daemon.flag, '--peer', `127.0.0.1:${second.localPort}`);
    expect(picked.map((item) => item.id)).toEqual([items[1]!.id]);
    expect(await listOf(daemon.flag, '--peer', '127.0.0.1:1')).toEqual([]);

    const table = await ctl([...daemon.flag, 'conns']);
    expect(table.code).toBe(0);
    const rows = table.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID +SERVER +PEER +AGE/);
    expect(rows.slice(1).map((row) => row.split(/ +/).slice(0, 3))).toEqual(items.map((item) => [item.id, 'echo', item.peer]));
  }, TEST_TIMEOUT_MS);

  it('an IPv6 peer is [address]:port; a pipe has no peer and its local is the path; a UDP session has both', async () => {
    const dir = tempDir('evergreen-peers-');
    const pipePath = join(dir, 'echo.sock');
    const daemon = await startDaemon([
      { name: 'v6', listen: 'tcp://[::1]:0', handler: { type: 'echo' } },
      { name: 'pipe', listen: `pipe://${pipePath}`, handler: { type: 'echo' } },
      { name: 'udp', listen: 'udp://127.0.0.1:0', handler: { type: 'echo' } },
    ]);
    const servers = await ctlJson<ServerInfo[]>([...daemon.flag, 'servers']);
    const addressOf = (name: string): string | null => servers.find((each) => each.name === name)!.address;

    const v6Port = tcpPort(addressOf('v6'));
    const v6 = await echoedClient({ host: '::1', port: v6Port });
    await echoedClient({ path: pipePath });
    const udpPort = tcpPort(addressOf('udp'));
    const udp = createSocket('udp4');
    onCleanup(() => udp.close());
    udp.send('hi', udpPort, '127.0.0.1');
    await once(udp, 'message');

    const byServer = Object.fromEntries((await listOf(daemon.flag)).map((item) => [item.server, item]));
    expect(byServer.v6).toMatchObject({ source: '::1', peer: `[::1]:${v6.localPort}`, local: `[::1]:${v6Port}` });
    expect(byServer.pipe).toMatchObject({ source: 'local', local: pipePath });
    expect(byServer.pipe).not.toHaveProperty('peer');
    expect(byServer.udp).toMatchObject({ source: '127.0.0.1', peer: `127.0.0.1:${udp.address().port}`, local: `127.0.0.1:${udpPort}` });
    expect((await listOf(daemon.flag, '--peer', `[::1]:${v6.localPort}`)).map((item) => item.server)).toEqual(['v6']);

    const table = await ctl([...daemon.flag, 'conns', '--server', 'pipe']);
    expect(table.stdout.split('\n')[1]).toMatch(/^pipe-\d+ +pipe +local /);
  }, TEST_TIMEOUT_MS);
});
