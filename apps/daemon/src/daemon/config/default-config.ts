import type { DaemonConfigInput } from './config-schema.js';

/**
 * The config the daemon runs without a config file: an echo server on
 * 127.0.0.1:7007 (loopback only: a fresh install opens nothing to the
 * network) and the control socket in its default place.
 */
export const DEFAULT_CONFIG: DaemonConfigInput = {
  servers: [{ name: 'echo', listen: 'tcp://127.0.0.1:7007', handler: { type: 'echo' } }],
  log: { level: 'info' },
};
