import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-handoff.mjs', import.meta.url));

let primary: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  // The fixture is a process group: its primary and both workers end with it.
  if (primary?.exitCode === null && primary.signalCode === null) process.kill(-primary.pid!, 'SIGKILL');
  primary = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('TCPServer in a node:cluster worker', () => {
  it('serves the connection the primary hands it in the same read as its answer to the listen', async () => {
    dir = await mkdtemp(join(tmpdir(), 'evergreen-cluster-'));
    // It imports the built '@evergreen/tcp'; see the fixture for the steps.
    primary = spawn(process.execPath, [FIXTURE, join(dir, 'unblock')], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    primary.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const [code] = (await once(primary, 'exit')) as [number | null];
    expect(code).toBe(0);
    const { sent, replies } = JSON.parse(output) as { sent: number; replies: Record<string, string> };
    // Every client got its own line back, and the new worker served some of them (the first straight away).
    expect(Object.keys(replies)).toHaveLength(sent);
    for (const [client, reply] of Object.entries(replies)) expect(reply).toMatch(new RegExp(`^(blocker|ours) ping ${client}$`));
    expect(Object.values(replies).filter((reply) => reply.startsWith('ours')).length).toBeGreaterThan(0);
  }, 30_000);
});
