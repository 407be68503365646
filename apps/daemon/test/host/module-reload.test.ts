import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addressOf, Client, config, releaseAll, startDaemon, tempDir } from './harness.js';

afterEach(releaseAll);

/** Writes a line handler that answers each line with its first byte replaced by `version`. */
async function writeHandler(file: string, version: number): Promise<void> {
  await writeFile(file, `export default async function versioned(conn) {
  for (let line = await conn.readUntil('\\n'); line.length > 0; line = await conn.readUntil('\\n')) {
    conn.write(Buffer.concat([Buffer.from('${version}'), line.subarray(1)]));
  }
}
`);
}

describe('a reload without workers', () => {
  it('imports a handler module changed on disk: new connections get the new code, an open one keeps the old', async () => {
    const file = join(await tempDir(), 'handler.mjs');
    await writeHandler(file, 1);
    const servers = [{ name: 'code', listen: 'tcp://127.0.0.1:0', handler: { type: 'module' as const, path: file } }];
    const daemon = await startDaemon(servers);
    const old = await Client.connect(addressOf(daemon, 'code'));
    expect(await old.exchange('x\n')).toBe('1\n');
    expect((await daemon.reload({ config: config(servers) })).restarted).toEqual([]);
    await writeHandler(file, 2);
    expect((await daemon.reload({ config: config(servers) })).restarted).toEqual(['code']);
    const fresh = await Client.connect(addressOf(daemon, 'code'));
    expect(await fresh.exchange('x\n')).toBe('2\n');
    expect(await old.exchange('y\n')).toBe('1\n');
    old.socket.end();
    expect((await old.ending()).how).toBe('eof');
  });
});
