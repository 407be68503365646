import type { MethodName } from './methods.js';
import type { Topic } from './topics.js';

/**
 * A control socket's level, as HAProxy's `level user|operator|admin`, least
 * to most: `user` reads (status, lists, stats, config, server and connection
 * events), `operator` also acts on what runs (pause/resume, close a
 * connection, the log level, log events, TLS credential reloads), `admin` may do everything (add,
 * change and remove servers, reload, shut down). Node cannot read a Unix
 * peer's credentials, so the level belongs to the socket file: who may open
 * it is set by its mode and group.
 */
export const CONTROL_LEVELS = ['user', 'operator', 'admin'] as const;

/** One of {@link CONTROL_LEVELS}. */
export type ControlLevel = (typeof CONTROL_LEVELS)[number];

/**
 * The level each daemon method needs. A method added to methods.ts must be
 * given one here (the type says so): `admin` unless it only reads (`user`)
 * or only acts on what already runs (`operator`).
 */
export const METHOD_LEVELS: Readonly<Record<MethodName, ControlLevel>> = {
  status: 'user',
  'servers.list': 'user',
  'connections.list': 'user',
  stats: 'user',
  'config.get': 'user',
  'servers.pause': 'operator',
  'servers.resume': 'operator',
  'connections.close': 'operator',
  'log.setLevel': 'operator',
  'tls.reload': 'operator',
  'servers.add': 'admin',
  'servers.update': 'admin',
  'servers.remove': 'admin',
  'config.reload': 'admin',
  'workers.restart': 'admin',
  shutdown: 'admin',
};

/** The level the RPC layer's own methods need: every client may greet and (within its topics) subscribe. */
export const BUILT_IN_LEVELS: Readonly<Record<'hello' | 'subscribe' | 'unsubscribe', ControlLevel>> = {
  hello: 'user',
  subscribe: 'user',
  unsubscribe: 'user',
};

/** The level subscribing to each topic needs: the log may carry what a `user` socket should not see. */
export const TOPIC_LEVELS: Readonly<Record<Topic, ControlLevel>> = {
  servers: 'user',
  connections: 'user',
  log: 'operator',
};

/** Whether a socket of level `have` may do what needs `need`. Cost: two array lookups. */
export function levelAllows(have: ControlLevel, need: ControlLevel): boolean {
  return CONTROL_LEVELS.indexOf(have) >= CONTROL_LEVELS.indexOf(need);
}
