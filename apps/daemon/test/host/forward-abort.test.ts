import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { addressOf, afterTest, portOf, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

const PEER = fileURLToPath(new URL('./fixtures/abort-peer.py', import.meta.url));
const MiB = 1024 * 1024;

/** What abort-peer.py prints: where it listens, then how its connection ended. */
interface PeerLine {
  listening?: number;
  bytes?: number;
  end?: string;
  aborted?: boolean;
}

/** One abort-peer.py process (see the fixture for its roles), killed by pid after the test. */
function abortPeer(role: string, port: number, bytes = 0): { next(): Promise<PeerLine> } {
  const child = spawn('python3', [PEER, role, String(port), String(bytes)], { stdio: ['ignore', 'pipe', 'inherit'] });
  afterTest(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async next() {
      const line = await lines.next();
      if (line.done === true) throw new Error(`abort-peer.py ${role} exited without saying how its connection ended`);
      return JSON.parse(line.value) as PeerLine;
    },
  };
}

/** A forward on 127.0.0.1:0 to `tcp://127.0.0.1:targetPort`; resolves its port. */
async function forwardTo(targetPort: number): Promise<number> {
  const daemon = await startDaemon([{ name: 'fwd', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tcp://127.0.0.1:${targetPort}` } }]);
  return portOf(addressOf(daemon, 'fwd'));
}

/** A port nothing listens on: bound, read back, released. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('forward passes an abort on as an abort, never as a clean end', () => {
  it('a target that resets after queuing 4 MiB resets the client: it sees ECONNRESET, not a truncated stream that ended well', async () => {
    const target = abortPeer('listen-abort', 0, 4 * MiB);
    const port = await forwardTo((await target.next()).listening!);
    const client = abortPeer('connect-reader', port);

    expect(await target.next()).toEqual({ aborted: true });
    const seen = await client.next();
    expect(seen.end).toBe('ECONNRESET');
    expect(seen.bytes).toBeLessThanOrEqual(4 * MiB);
  });

  it('a client that resets in the middle of an upload resets the target: it sees ECONNRESET, not FIN', async () => {
    const target = abortPeer('listen-reader', 0);
    const port = await forwardTo((await target.next()).listening!);
    const client = abortPeer('connect-abort', port, MiB);

    expect(await client.next()).toEqual({ aborted: true });
    const seen = await target.next();
    expect(seen.end).toBe('ECONNRESET');
    expect(seen.bytes).toBeLessThanOrEqual(MiB);
  });

  it('a forward whose target refuses the connection resets the client instead of ending it cleanly', async () => {
    const port = await forwardTo(await closedPort());
    const client = abortPeer('connect-reader', port);

    expect(await client.next()).toEqual({ bytes: 0, end: 'ECONNRESET' });
  });
});
