import { once } from 'node:events';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerInfo } from '../../src/protocol/results.js';
import { onCleanup } from '../helpers.js';
import { ctlJson, startDaemon } from './ctl-helpers.js';

/** Each run starts a daemon and several CLI processes: a bound, not a speed assertion. */
const E2E_TIMEOUT_MS = 120_000;

/** A handler module that counts, in module scope, the connections it served, and tells each client its number. */
const COUNTER = `let served = 0;
export default async function count(conn) {
  served += 1;
  conn.write(\`\${served}\\n\`);
}
`;

/** Connects to the `tcp://127.0.0.1:PORT` address `uri` and resolves everything received until the daemon closes. */
async function answerOf(uri: string | null): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port: Number(/:(\d+)$/.exec(uri ?? '')![1]) });
  onCleanup(() => socket.destroy());
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  await once(socket, 'close');
  return received;
}

describe('evergreenctl servers add --module', () => {
  it("resolves a relative path against the daemon's config folder, and servers naming one file share one module instance", async () => {
    const daemon = await startDaemon([]);
    // Beside the config, not in the directory evergreenctl and evergreend run in.
    writeFileSync(join(daemon.dir, 'counter.mjs'), COUNTER);
    expect(process.cwd()).not.toBe(daemon.dir);

    const one = await ctlJson<ServerInfo>([...daemon.flag, 'servers', 'add', 'one', 'tcp://127.0.0.1:0', '--handler', 'module', '--module', 'counter.mjs']);
    const two = await ctlJson<ServerInfo>([...daemon.flag, 'servers', 'add', 'two', 'tcp://127.0.0.1:0', '--handler', 'module', '--module', './counter.mjs']);

    // One count across both servers: one module instance.
    expect([await answerOf(one.address), await answerOf(two.address), await answerOf(one.address)]).toEqual(['1\n', '2\n', '3\n']);
  }, E2E_TIMEOUT_MS);
});
