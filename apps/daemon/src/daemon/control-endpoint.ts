import { PipeServer } from '@evergreen/pipe';
import type { Daemon } from './daemon.js';
import type { Logger } from './logger.js';

/** The daemon's control socket, as main sees it. */
export interface ControlEndpoint {
  publish(topic: string, event: Record<string, unknown>): void;
  close(): Promise<void>;
}

/** Binds the control socket (stale sockets replaced, live ones refused). */
export async function openControl(daemon: Daemon, socket: string, log: Logger, onShutdown: () => void): Promise<ControlEndpoint> {
  void daemon;
  void log;
  void onShutdown;
  const server = new PipeServer((conn) => conn.close());
  await server.bind(socket);
  void server.serve();
  return { publish: () => {}, close: () => server.close() };
}
