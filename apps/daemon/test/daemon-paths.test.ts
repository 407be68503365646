import { describe, expect, it } from 'vitest';
import { resolvePaths } from '../src/daemon/config/daemon-paths.js';
import { defaultSocketPath } from '../src/protocol/socket-path.js';

describe('resolvePaths', () => {
  const env = { XDG_RUNTIME_DIR: '/run/user/4242', XDG_STATE_HOME: '/var/lib/someone', HOME: '/home/someone' };

  it('takes --socket, then EVERGREEN_SOCKET, then the config, then the default', () => {
    expect(resolvePaths({ socket: '/tmp/a.sock', env: { ...env, EVERGREEN_SOCKET: '/tmp/b.sock' } }, '/tmp/c.sock').socket).toBe('/tmp/a.sock');
    expect(resolvePaths({ env: { ...env, EVERGREEN_SOCKET: '/tmp/b.sock' } }, '/tmp/c.sock').socket).toBe('/tmp/b.sock');
    expect(resolvePaths({ env }, '/tmp/c.sock').socket).toBe('/tmp/c.sock');
    expect(resolvePaths({ env }).socket).toBe(defaultSocketPath(env));
  });

  it('reads an empty EVERGREEN_SOCKET as unset, as evergreenctl does, never as the working directory', () => {
    expect(resolvePaths({ env: { ...env, EVERGREEN_SOCKET: '' } }).socket).toBe(defaultSocketPath(env));
    expect(resolvePaths({ env: { ...env, EVERGREEN_SOCKET: '' } }, '/tmp/c.sock').socket).toBe('/tmp/c.sock');
  });
});
