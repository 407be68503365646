import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, createSandbox, exchange, startDaemon, startNode } from './daemon-process.js';

const RUNTIME_BURST = fileURLToPath(new URL('fixtures/runtime-burst.mjs', import.meta.url));
/**
 * Acknowledged changes to see before the kill (the burst goes on past them).
 * The burst is the same every run; from its 20th to its 22nd change, servers
 * are listening, paused both ways and absent, so all four come back checked.
 */
const KILL_AFTER = 20;

afterEach(cleanUp);

/** A server as a change leaves it. */
interface ServerState {
  present: boolean;
  paused: 'unbind' | 'refuse' | null;
}

/**
 * What each server may be after the kill: its last acknowledged state, and
 * for the one whose change was in flight, also the state that change leads
 * to (either is right: it may or may not have reached the disk).
 */
function allowedStates(lines: readonly string[]): Map<string, ServerState[]> {
  const acked = new Map<string, ServerState>();
  let pending: { name: string; state: ServerState } | undefined;
  for (const line of lines) {
    const record = JSON.parse(line) as { begin?: string; ack?: string } & ServerState;
    if (record.begin !== undefined) pending = { name: record.begin, state: { present: record.present, paused: record.paused } };
    if (record.ack !== undefined && pending !== undefined) {
      acked.set(pending.name, pending.state);
      pending = undefined;
    }
  }
  const allowed = new Map([...acked].map(([name, state]) => [name, [state]]));
  if (pending !== undefined) allowed.set(pending.name, [...(allowed.get(pending.name) ?? [{ present: false, paused: null }]), pending.state]);
  return allowed;
}

/** What a client finds at a server's socket: its echo, '' (closed at once: refusing), or the connect error's code. */
async function observe(path: string): Promise<string> {
  try {
    return await exchange({ path }, 'probe\n');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** What a client should find there in `state`. */
function expectedObservation(state: ServerState): RegExp {
  if (!state.present || state.paused === 'unbind') return /^(ENOENT|ECONNREFUSED)$/;
  return state.paused === 'refuse' ? /^$/ : /^probe\n$/;
}

describe('kill -9 during a burst of runtime changes', () => {
  it('leaves a state file that parses, and a restarted daemon comes back with every acknowledged change', async () => {
    const sandbox = await createSandbox();
    const burst = startNode(sandbox, RUNTIME_BURST, [sandbox.stateDir, sandbox.dir]);
    let acks = 0;
    await burst.waitForLine(`${KILL_AFTER} acknowledged changes`, (line) => (line.startsWith('{"ack"') && ++acks === KILL_AFTER ? true : undefined));
    burst.signal('SIGKILL');
    expect(await burst.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(burst.lines).not.toContain('{"done":true}');
    const allowed = allowedStates(burst.lines);
    expect(allowed.size).toBeGreaterThan(1);

    const state = JSON.parse(await readFile(sandbox.stateFile, 'utf8')) as { version: number; runtime: Record<string, unknown> };
    expect(state.version).toBe(1);

    await sandbox.writeConfig({ servers: [] });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const listed = await daemon.started();
    // No temp file is left: the state, and the running daemon's lock on its state dir.
    expect((await readdir(sandbox.stateDir)).sort()).toEqual(['state.json', 'state.json.lock']);
    for (const [name, states] of allowed) {
      const path = join(sandbox.dir, `${name}.sock`);
      const listedNow = listed.includes(`pipe://${path}`);
      const matching = states.filter((state) => state.present === listedNow);
      expect(matching, `${name} listed: ${listedNow}, allowed ${JSON.stringify(states)}`).not.toEqual([]);
      const seen = await observe(path);
      expect(matching.some((state) => expectedObservation(state).test(seen)), `${name}: saw ${JSON.stringify(seen)}, allowed ${JSON.stringify(matching)}`).toBe(true);
    }
  });
});
