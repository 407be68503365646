import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { socketKind } from '../../src/daemon/systemd/socket-kind.js';
import { takeListenFds } from '../../src/daemon/systemd/listen-fds.js';

describe('socketKind', () => {
  it('refuses a descriptor that is not open or not a socket, naming it', () => {
    expect(() => socketKind(65_000)).toThrow(new TypeError('Cannot serve fd 65000: it is not open'));
    const fd = openSync(new URL(import.meta.url), 'r');
    try {
      expect(() => socketKind(fd)).toThrow(new RegExp(`^Cannot serve fd ${fd}: it is not a socket \\(/`));
    } finally {
      closeSync(fd);
    }
  });
});

describe('takeListenFds', () => {
  it('names the descriptors from 3 when LISTEN_PID is ours, "unknown" where a name is missing, and empties the environment either way', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: '42', LISTEN_FDS: '3', LISTEN_FDNAMES: 'web::dns', OTHER: 'kept' };
    expect(takeListenFds(env, 42)).toEqual(new Map([[3, 'web'], [4, 'unknown'], [5, 'dns']]));
    expect(env).toEqual({ OTHER: 'kept' });
    const foreign: NodeJS.ProcessEnv = { LISTEN_PID: '41', LISTEN_FDS: '1' };
    expect(takeListenFds(foreign, 42).size).toBe(0);
    expect(foreign).toEqual({});
  });
});
