import type { HandlerSpec } from '../protocol/server-spec.js';
import { discardDatagrams, discardStream } from './discard.js';
import { echoDatagrams, echoStream } from './echo.js';
import { forwardDatagrams } from './datagram-forward.js';
import { forwardStream } from './forward.js';
import type { DatagramHandler, HandlerEnvironment, StreamHandler } from './handler.js';
import { HandlerModuleError, moduleHandler } from './module-handler.js';

/**
 * The stream handler a spec names. Forward targets and module files are
 * resolved here, so a server whose handler cannot work fails when it is
 * added (TransportUnavailableError, HandlerModuleError), not at its first
 * connection.
 */
export function createStreamHandler(spec: HandlerSpec, env: HandlerEnvironment): Promise<StreamHandler> {
  switch (spec.type) {
    case 'echo':
      return Promise.resolve(echoStream);
    case 'discard':
      return Promise.resolve(discardStream);
    case 'forward':
      return forwardStream(spec, env);
    case 'module':
      return moduleHandler(spec.path, spec.export, env.baseDir);
  }
}

/**
 * The datagram handler a spec names: `echo`, `discard` or `forward` (whose
 * upstream sockets bind `bindAddress`). A `module` handler serves stream
 * connections only: HandlerModuleError.
 */
export function createDatagramHandler(spec: HandlerSpec, env: HandlerEnvironment, bindAddress: unknown): Promise<DatagramHandler> {
  switch (spec.type) {
    case 'echo':
      return Promise.resolve(echoDatagrams);
    case 'discard':
      return Promise.resolve(discardDatagrams);
    case 'forward':
      return forwardDatagrams(spec.target, bindAddress, env);
    case 'module':
      return Promise.reject(new HandlerModuleError('Cannot host a module handler on a datagram server: module handlers serve stream connections'));
  }
}
