import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectOutcome, connectTo, createSandbox, lockOwner, startDaemon, targetOf, type Client } from './daemon-process.js';

const TRANSFERS = 20;
const HALF = 256 * 1024;
const DRAIN_MS = 20_000;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** An upstream in this process: echoes every byte, and keeps what each connection sent in full. */
interface Upstream {
  port: number;
  received: Buffer[][];
  /** The sha256 of everything each connection sent, once it has ended. */
  digests: string[];
  close(): Promise<void>;
}

let upstream: Upstream | undefined;

afterEach(async () => {
  await upstream?.close();
  upstream = undefined;
  await cleanUp();
});

async function startUpstream(): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const received: Buffer[][] = [];
  const digests: string[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    received.push(chunks);
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      socket.write(chunk);
    });
    socket.on('end', () => {
      digests.push(sha256(Buffer.concat(chunks)));
      socket.end();
    });
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received,
    digests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Polls (bounded) until `check` is true. */
async function until(what: string, check: () => boolean | Promise<boolean>, tries = 500, everyMs = 20): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new Error(`Gave up waiting for ${what} after ${tries} tries`);
}

describe('SIGTERM', () => {
  it(`drains: lets ${TRANSFERS} forwarded transfers in flight finish intact, refuses new connections, exits 0 and removes its socket and lock`, async () => {
    upstream = await startUpstream();
    const sandbox = await createSandbox();
    await sandbox.writeConfig({
      servers: [{ name: 'fwd', listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: `tcp://127.0.0.1:${upstream.port}` }, drainMs: DRAIN_MS }],
    });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [address] = await daemon.started();
    const target = targetOf(address!);
    expect(existsSync(sandbox.lockFile)).toBe(true);
    expect(existsSync(sandbox.socket)).toBe(true);

    const payloads = Array.from({ length: TRANSFERS }, () => randomBytes(2 * HALF));
    const clients: Client[] = await Promise.all(payloads.map(() => connectTo(target)));
    const echoed = clients.map((client) => client.rest());
    clients.forEach((client, i) => client.socket.write(payloads[i]!.subarray(0, HALF)));
    const up = upstream;
    await until('the first halves upstream', () => up.received.length === TRANSFERS && up.received.every((chunks) => Buffer.concat(chunks).length === HALF));

    daemon.signal('SIGTERM');
    await daemon.waitForLog('stopping: draining connections');
    await until('the listener to be closed', async () => (await connectOutcome(target)) === 'ECONNREFUSED');

    clients.forEach((client, i) => client.socket.end(payloads[i]!.subarray(HALF)));
    const back = await Promise.all(echoed);
    back.forEach((data, i) => expect(sha256(data), `transfer ${i}`).toBe(sha256(payloads[i]!)));
    expect([...upstream.digests].sort()).toEqual(payloads.map(sha256).sort());

    expect(await daemon.waitForExit(DRAIN_MS)).toEqual({ code: 0, signal: null });
    await daemon.waitForLog('stopped');
    expect(existsSync(sandbox.socket)).toBe(false);
    expect(existsSync(sandbox.lockFile)).toBe(false);
  });

  it('a second SIGTERM while draining exits 1 at once, closing the connections left; the next daemon starts on the same socket', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({ servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' }, drainMs: DRAIN_MS }] });
    const args = ['--config', sandbox.configFile];
    const daemon = startDaemon(sandbox, args);
    const [address] = await daemon.started();
    const held = await connectTo(targetOf(address!));
    expect((await held.roundTrip('held\n')).toString()).toBe('held\n');

    daemon.signal('SIGTERM');
    await daemon.waitForLog('stopping: draining connections');
    expect((await held.roundTrip('draining\n')).toString()).toBe('draining\n');
    daemon.signal('SIGTERM');
    expect(await daemon.waitForExit()).toEqual({ code: 1, signal: null });
    await daemon.waitForLog('second signal: exiting without draining');
    expect((await held.rest()).toString()).toBe('');

    const next = startDaemon(sandbox, args);
    await next.started();
    expect(await lockOwner(sandbox.lockFile)).toBe(next.pid);
  });
});
