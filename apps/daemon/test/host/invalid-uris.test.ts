import { afterEach, describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/daemon/daemon-error.js';
import type { ServerSpec } from '../../src/protocol/server-spec.js';
import { rejection, releaseAll, startDaemon } from './harness.js';

afterEach(releaseAll);

describe('listen and target URIs a transport rejects', () => {
  it.each([
    ['a tcp port out of range', { listen: 'tcp://127.0.0.1:99999', handler: { type: 'echo' } }, 'listen', 'tcp://127.0.0.1:99999'],
    ['a relative pipe path', { listen: 'pipe://relative', handler: { type: 'echo' } }, 'listen', 'pipe://relative'],
    ['a udp port out of range', { listen: 'udp://127.0.0.1:70000', handler: { type: 'echo' } }, 'listen', 'udp://127.0.0.1:70000'],
    ['a forward target port out of range', { listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: 'tcp://127.0.0.1:99999' } }, 'handler.target', 'tcp://127.0.0.1:99999'],
    ['a relative forward target pipe', { listen: 'tcp://127.0.0.1:0', handler: { type: 'forward', target: 'pipe://relative' } }, 'handler.target', 'pipe://relative'],
  ] as [string, Omit<ServerSpec, 'name'>, string, string][])('rejects addServer with DaemonError invalid naming the path for %s', async (_what, spec, path, value) => {
    const daemon = await startDaemon([]);

    const error = await rejection(daemon.addServer({ name: 'bad', ...spec }));

    expect(error).toBeInstanceOf(DaemonError);
    expect({ kind: (error as DaemonError).kind, path: (error as DaemonError).data?.path, value: (error as DaemonError).data?.value }).toEqual({ kind: 'invalid', path, value });
    expect(daemon.listServers()).toEqual([]);
  });

  it('fails start with DaemonError invalid for a config server whose listen URI its transport rejects', async () => {
    const error = await rejection(startDaemon([{ name: 'bad', listen: 'tcp://127.0.0.1:99999', handler: { type: 'echo' } }]));

    expect(error).toBeInstanceOf(DaemonError);
    expect({ kind: (error as DaemonError).kind, path: (error as DaemonError).data?.path }).toEqual({ kind: 'invalid', path: 'listen' });
  });
});
