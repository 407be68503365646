import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, connectTo, createSandbox, exchange, startDaemon, targetOf } from './daemon-process.js';

afterEach(cleanUp);

const BUGGY_MODULE = fileURLToPath(new URL('./fixtures/fire-and-forget-handler.mjs', import.meta.url));

describe('a handler module that leaves a rejection unhandled', () => {
  it('costs its own connection only: the rejection is logged and every server goes on', async () => {
    const sandbox = await createSandbox();
    await sandbox.writeConfig({
      servers: [
        { name: 'buggy', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: BUGGY_MODULE } },
        { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } },
      ],
    });
    const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
    const [buggyURI, echoURI] = await daemon.started();
    const victim = await connectTo(targetOf(buggyURI!));
    const record = await daemon.waitForLog('unhandled promise rejection: logged, the daemon goes on');
    expect(record.level).toBe(50);
    expect((record.err as { type?: string; message: string }).message).toContain('Cannot complete the read');
    victim.close();
    expect(await exchange(targetOf(echoURI!), 'still here\n')).toBe('still here\n');
    expect(daemon.running).toBe(true);
  });
});
