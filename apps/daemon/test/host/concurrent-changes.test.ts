import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import { connectOutcome as outcomeOf, targetOf } from '../daemon-process.js';
import { addressOf, afterTest, Client, config, loopbackServer, rejection, releaseAll, startDaemon, stateOnDisk, tempDir } from './harness.js';

afterEach(releaseAll);

/** A module handler: building it imports a file, so a change that builds one awaits in the middle. */
const MODULE_HANDLER = fileURLToPath(new URL('./fixtures/every-second-throws.mjs', import.meta.url));

/** A handler module whose import finishes only when the test calls {@link holdImport}'s release. */
const HUNG_MODULE = fileURLToPath(new URL('./fixtures/import-held-by-test.mjs', import.meta.url));
const HELD_IMPORT = Symbol.for('evergreen.test.heldImport');

/** Holds the import of {@link HUNG_MODULE} until the returned function is called (after the test at the latest). */
function holdImport(): () => void {
  let release!: () => void;
  (globalThis as Record<symbol, unknown>)[HELD_IMPORT] = new Promise<void>((resolve) => (release = resolve));
  afterTest(() => release());
  return () => release();
}

/** `promise`, or a failure naming `what` when it has not settled within `ms`. */
async function withinTest<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Gave up waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `promise` settles to: its value, or the error it rejects with. */
function settled<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** How a connect to the `tcp://` or `pipe://` address `uri` ends: 'connected', or the error code. */
function connectOutcome(uri: string): Promise<string> {
  return outcomeOf(targetOf(uri));
}

describe('changes to the servers made at the same time run one after another', () => {
  it('two reloads at once: the first applies the config, the second finds nothing to do, and shutdown still stops every server', async () => {
    const daemon = await startDaemon([loopbackServer('keep'), loopbackServer('gone', 'discard')]);
    const goneAddress = addressOf(daemon, 'gone');
    const next = config([loopbackServer('keep'), { name: 'added', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: MODULE_HANDLER } }]);

    const [first, second] = await Promise.all([daemon.reload({ config: next }), daemon.reload({ config: next })]);

    expect(first).toMatchObject({ added: ['added'], removed: ['gone'], unchanged: ['keep'], failed: [] });
    expect(second).toMatchObject({ added: [], removed: [], restarted: [], unchanged: ['keep', 'added'], failed: [] });
    expect(daemon.listServers().map((server) => server.name).sort()).toEqual(['added', 'keep']);
    const keepAddress = addressOf(daemon, 'keep');
    await daemon.shutdown(0);
    expect(await connectOutcome(goneAddress)).toBe('ECONNREFUSED');
    expect(await connectOutcome(keepAddress)).toBe('ECONNREFUSED');
  });

  it('a resume and a remove of one server at once: the remove comes last and nothing is left listening', async () => {
    const dir = await tempDir();
    const listen = `pipe://${dir}/paused.sock`;
    const daemon = await startDaemon([{ name: 'paused', listen, handler: { type: 'echo' } }]);
    await daemon.pauseServer('paused', 'unbind');

    const [resumed, removed] = await Promise.all([daemon.resumeServer('paused'), daemon.removeServer('paused', 0)]);

    expect(resumed.state).toBe('listening');
    expect(removed.state).toBe('stopped');
    expect(daemon.listServers()).toEqual([]);
    expect(['ENOENT', 'ECONNREFUSED']).toContain(await connectOutcome(listen));
  });

  it('a reload that restarts a server and a remove of it at once: the remove comes last, and what runs is what the state file says', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('kept'), loopbackServer('removed')], stateDir);
    const oldAddress = addressOf(daemon, 'removed');
    const changed = config([loopbackServer('kept'), { name: 'removed', listen: 'tcp://127.0.0.1:0', handler: { type: 'module', path: MODULE_HANDLER } }]);

    const [report, removed] = await Promise.all([daemon.reload({ config: changed }), daemon.removeServer('removed', 0)]);

    expect(report.restarted).toEqual(['removed']);
    expect(removed).toMatchObject({ state: 'stopped', handler: { type: 'module' } });
    expect(daemon.listServers().map((server) => server.name)).toEqual(['kept']);
    expect((await stateOnDisk(stateDir)).runtime.removed).toMatchObject({ spec: null });
    expect(await connectOutcome(oldAddress)).toBe('ECONNREFUSED');
    expect(await (await Client.connect(addressOf(daemon, 'kept'))).exchange('ok\n')).toBe('ok\n');
  });

  it('a server whose handler module never finishes loading holds up neither later changes nor shutdown, and starts nothing', async () => {
    const stateDir = await tempDir();
    const daemon = await startDaemon([loopbackServer('other'), loopbackServer('kept')], stateDir);
    const release = holdImport();
    const hung = { name: 'hung', listen: 'tcp://127.0.0.1:0', handler: { type: 'module' as const, path: HUNG_MODULE } };
    const adding = settled(daemon.addServer(hung));
    await withinTest(daemon.removeServer('other', 0), 'a remove queued after the hung add');
    const reloading = settled(daemon.reload({ config: config([loopbackServer('kept'), hung]) }));
    // That reload builds the hung server in its turn: shutdown waits for it a while, not for ever.
    await withinTest(daemon.shutdown(0), 'shutdown with a reload hung in its turn', 15_000);
    expect(daemon.listServers()).toEqual([]);

    // The imports end after the shutdown: what do the add and the reload that waited for them say?
    release();
    const added = await withinTest(adding, 'the hung add to settle once its import ends');
    expect(added).toMatchObject({ error: expect.any(DaemonError) });
    expect((added as { error: DaemonError }).error.kind).toBe('busy');
    const reloaded = await withinTest(reloading, 'the hung reload to settle once its import ends');
    // Refused, or answered with the server among those that failed to start (the shutdown stopped it): never reported as added.
    if ('error' in reloaded) {
      expect(reloaded.error).toBeInstanceOf(DaemonError);
      expect((reloaded.error as DaemonError).kind).toBe('busy');
    } else {
      expect(reloaded.value).toMatchObject({ added: [], failed: [{ name: 'hung', message: expect.stringContaining('shutting down') }] });
    }
    expect(daemon.listServers()).toEqual([]);
    expect(Object.keys((await stateOnDisk(stateDir)).runtime)).toEqual(['other']);
  }, 30_000);

  it('a change asked for once shutdown has begun is refused with DaemonError busy, and starts nothing', async () => {
    const daemon = await startDaemon([loopbackServer('only')]);
    const stopping = daemon.shutdown(0);
    const error = await rejection(daemon.addServer(loopbackServer('late')));
    await stopping;
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).kind).toBe('busy');
    expect(daemon.listServers()).toEqual([]);
  });
});
