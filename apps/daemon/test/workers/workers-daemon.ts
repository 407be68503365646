import { DaemonClient } from '../../src/ctl/daemon-client.js';
import type { ConnectionInfo } from '../../src/protocol/results.js';
import { connectTo, createSandbox, startDaemon, targetOf, type Client, type DaemonProcess, type Sandbox } from '../daemon-process.js';

/**
 * What the worker tests share: a real evergreend started with a config
 * (its workers are its children, and exit when it is killed: their IPC
 * channel closes), a control client to it, and held connections that
 * remember which worker serves them.
 */

const clients: DaemonClient[] = [];

/** Closes the control clients the test opened (the daemons are `cleanUp`'s). */
export function closeClients(): void {
  for (const client of clients.splice(0)) client.close();
}

export interface WorkersDaemon {
  sandbox: Sandbox;
  daemon: DaemonProcess;
  control: DaemonClient;
  /** The bound address of each server, by name. */
  addresses: Record<string, string>;
}

/** Starts evergreend on `config` (written to the sandbox's config file) with `args`; resolves once it serves. */
export async function startWorkersDaemon(config: object, args: readonly string[] = [], sandbox?: Sandbox): Promise<WorkersDaemon> {
  sandbox ??= await createSandbox();
  await sandbox.writeConfig(config);
  const daemon = startDaemon(sandbox, ['--config', sandbox.configFile, ...args]);
  await daemon.started();
  const control = await DaemonClient.connect(sandbox.socket);
  clients.push(control);
  const addresses = Object.fromEntries((await control.listServers()).map((server) => [server.name, server.address!]));
  return { sandbox, daemon, control, addresses };
}

/** A held connection and the worker (pid) serving it, found in `connections.list` by the client's own port. */
export interface HeldConnection {
  client: Client;
  info: ConnectionInfo;
}

/** Connects to `uri`, round-trips `hello` (so it is served), and finds its connection in the daemon's list. */
export async function holdConnection(control: DaemonClient, uri: string, greeting = 'hello'): Promise<HeldConnection> {
  const client = await connectTo(targetOf(uri));
  await client.roundTrip(greeting);
  const peer = `127.0.0.1:${client.socket.localPort}`;
  const { items } = await control.listConnections({ peer });
  if (items.length !== 1) throw new Error(`Expected one connection from ${peer}, found ${items.length}`);
  return { client, info: items[0]! };
}

/** Holds connections (each greeted with `greeting`) until both of two workers serve at least one (bounded: 20 connections). */
export async function holdOnBothWorkers(control: DaemonClient, uri: string, greeting = 'hello'): Promise<HeldConnection[]> {
  const held: HeldConnection[] = [];
  for (let tries = 0; tries < 20; tries += 1) {
    held.push(await holdConnection(control, uri, greeting));
    if (new Set(held.map((each) => each.info.worker)).size === 2) return held;
  }
  throw new Error(`Round-robin never reached a second worker in 20 connections: ${held.map((each) => each.info.worker).join(', ')}`);
}

/** Whether a process `pid` is running (signal 0 reaches it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
