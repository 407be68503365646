import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HIGH_WATER_MARK } from '@evergreen/stream-core';
import { TCPClient } from '../src/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The brief's bound on the server's growth while a peer floods it. */
const MAX_RSS_GROWTH_BYTES = 32 * MiB;
const CHUNK_BYTES = MiB;
/** A flush that has not finished after this long means the kernel stopped taking bytes. */
const STALL_MS = 1000;
/** Whatever happens, the sender stops after this long. */
const SEND_BUDGET_MS = 10_000;

const FIXTURE = fileURLToPath(new URL('./fixtures/idle-server.mjs', import.meta.url));

interface Ready {
  port: number;
  baselineRss: number;
}
interface Report extends Ready {
  rss: number;
  buffered: number;
}

/** The fixture server in its own process (it imports the built '@evergreen/tcp'). */
async function startIdleServer(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(FIXTURE, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await once(child, 'message')) as [Ready];
  return { child, ready };
}

/** Resolves true when `promise` settles within `ms`, false when it is still pending then. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), stalled]).finally(() => clearTimeout(timer));
}

/** Writes 1 MiB chunks until a flush stalls, 1 GiB is sent, or the time budget runs out. */
async function flood(client: TCPClient): Promise<{ sent: number; stalled: boolean }> {
  const chunk = Buffer.alloc(CHUNK_BYTES, 'f');
  const deadline = Date.now() + SEND_BUDGET_MS;
  let sent = 0;
  while (sent < GiB && Date.now() < deadline) {
    client.write(chunk);
    sent += chunk.length;
    const flushed = client.flush();
    flushed.catch(() => {}); // still pending when the client is closed
    if (!(await settlesWithin(flushed, STALL_MS))) return { sent, stalled: true };
  }
  return { sent, stalled: false };
}

describe('TCP memory under a flood', () => {
  it("a peer that sends 1 GiB to a handler that never reads grows the server's RSS by less than 32 MiB", async () => {
    const { child, ready } = await startIdleServer();
    const client = new TCPClient();
    try {
      await client.connect({ host: '127.0.0.1', port: ready.port });
      const { sent, stalled } = await flood(client);
      child.send('report');
      const [report] = (await once(child, 'message')) as [Report];
      // Backpressure reached the kernel: the sender could not push 1 GiB.
      expect(stalled).toBe(true);
      expect(sent).toBeLessThan(GiB);
      // The server took bytes up to its highWaterMark (plus one socket read), then paused.
      expect(report.buffered).toBeGreaterThanOrEqual(DEFAULT_HIGH_WATER_MARK);
      expect(report.buffered).toBeLessThanOrEqual(DEFAULT_HIGH_WATER_MARK + CHUNK_BYTES);
      expect(report.rss - report.baselineRss).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    } finally {
      client.close();
      const exited = once(child, 'exit');
      if (child.connected) child.disconnect();
      else child.kill();
      await exited;
    }
  }, 30_000);
});
