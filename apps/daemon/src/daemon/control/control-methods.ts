import { ZodError } from 'zod';
import { METHOD_LEVELS } from '../../protocol/control-level.js';
import { methodParams, type MethodName, type MethodParams } from '../../protocol/methods.js';
import { invalidParams } from '../../protocol/invalid-params.js';
import { RpcError, RpcErrorCode } from '../../protocol/rpc-error.js';
import { BindError } from '../hosting/bind-error.js';
import { ConfigError } from '../config/config-file.js';
import { controlMethod, type ControlMethod, type ControlMethods } from './control-method.js';
import type { Daemon } from '../daemon.js';
import type { WorkerPool } from '../workers/worker-pool.js';
import { DaemonError, type DaemonErrorKind } from '../daemon-error.js';

/** The error number of each kind of "no". */
const CODE_OF: Record<DaemonErrorKind, number> = {
  'not-found': RpcErrorCode.NOT_FOUND,
  'already-exists': RpcErrorCode.ALREADY_EXISTS,
  busy: RpcErrorCode.BUSY,
  invalid: RpcErrorCode.INVALID_PARAMS,
  unavailable: RpcErrorCode.TRANSPORT_UNAVAILABLE,
  refused: RpcErrorCode.REFUSED,
};

/**
 * The daemon's control methods: each validates its options with the schema
 * of protocol/methods.ts, needs the control level protocol/control-level.ts
 * gives it, and is one call of a `Daemon` method. The daemon's
 * refusals become RPC errors — `DaemonError` by kind, `BindError` as
 * BIND_FAILED with `data: { errno, code }`, a reloaded config that does not
 * validate as REFUSED with `data: { issues }`; anything else is the control
 * server's INTERNAL_ERROR. `shutdown` calls `onShutdown` before it
 * answers, so every request handled after it finds the daemon stopping;
 * `onShutdown` must leave the control socket up until the requests in
 * progress are answered (`ControlServer#close` does).
 */
export function controlMethods(daemon: Daemon, onShutdown: (drainMs?: number) => void, workers?: WorkerPool): ControlMethods {
  // With workers, what the daemon reads of its servers is their last snapshots: a fresh one first.
  const fresh = async <T>(read: () => T, withConnections = false): Promise<T> => {
    await workers?.refresh(withConnections);
    return read();
  };
  const table: { [M in MethodName]: (params: MethodParams<M>) => unknown } = {
    status: () => fresh(() => daemon.status()),
    'servers.list': () => fresh(() => daemon.listServers()),
    'servers.add': (spec) => daemon.addServer(spec),
    'servers.update': (update) => daemon.updateServer(update),
    'servers.remove': ({ name, drainMs }) => daemon.removeServer(name, drainMs),
    'servers.pause': ({ name, mode }) => daemon.pauseServer(name, mode),
    'servers.resume': ({ name }) => daemon.resumeServer(name),
    'connections.list': (query) => fresh(() => daemon.listConnections(query), true),
    'connections.close': ({ id }) => fresh(() => daemon.closeConnection(id), true),
    stats: () => fresh(() => daemon.stats()),
    'config.get': () => daemon.getConfig(),
    'config.reload': ({ dryRun }) => daemon.reload({ dryRun }),
    'tls.reload': async ({ name }) => ({ servers: await daemon.reloadTls(name) }),
    'workers.restart': () => {
      if (workers === undefined) throw new DaemonError('refused', 'Cannot restart the workers: this daemon runs without workers (workers: 0)');
      return workers.restart();
    },
    'log.setLevel': ({ level }) => daemon.setLogLevel(level),
    shutdown: ({ drainMs }) => {
      // At once, not after the reply: a change pipelined behind this request must find the daemon stopping.
      onShutdown(drainMs);
      return { stopping: true };
    },
  };
  const methods: Record<string, ControlMethod> = {};
  for (const name of Object.keys(table) as MethodName[]) {
    const handler = table[name] as (params: unknown) => unknown;
    const call = async (params: unknown): Promise<unknown> => {
      try {
        return await handler(params);
      } catch (error) {
        throw toRpcError(error, params);
      }
    };
    methods[name] = controlMethod(methodParams[name], call, METHOD_LEVELS[name]);
  }
  return methods;
}

/** The RPC error a daemon failure is sent as; an unexpected failure is passed on (INTERNAL_ERROR). */
function toRpcError(error: unknown, params: unknown): unknown {
  if (error instanceof DaemonError) return new RpcError(CODE_OF[error.kind], error.message, error.data);
  if (error instanceof BindError) return new RpcError(RpcErrorCode.BIND_FAILED, error.message, { errno: error.errno, code: error.code });
  if (error instanceof ConfigError) return new RpcError(RpcErrorCode.REFUSED, error.message, { issues: error.issues });
  if (error instanceof ZodError) return invalidParams(error, params);
  return error;
}
