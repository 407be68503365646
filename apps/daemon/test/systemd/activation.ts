import { createSocket, type SocketType } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { DAEMON_BIN, DaemonProcess, type Sandbox } from '../daemon-process.js';

/** `systemd-socket-activate`: systemd's own tool for running a socket-activated service by hand (package systemd). */
export const SOCKET_ACTIVATE = '/usr/bin/systemd-socket-activate';

/** A socket for systemd-socket-activate to make and pass: its `-l` address, whether it is a datagram one, and its name. */
export interface ActivationSocket {
  listen: string;
  name: string;
  datagram?: boolean;
}

/** A port free on `host` now: bound on port 0, read back, released (systemd-socket-activate takes no port 0). */
export async function freePort(kind: 'tcp' | SocketType, host: string): Promise<number> {
  if (kind === 'tcp') {
    const server = createServer().listen(0, host);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  const socket = createSocket(kind);
  socket.bind(0, host);
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/**
 * Starts `evergreend --socket <sandbox.socket> ...args` under
 * systemd-socket-activate with `sockets` passed in, in that order from fd 3:
 * datagram ones (`-d`) by an outer systemd-socket-activate that hands them
 * through to an inner one for the stream ones (one invocation makes one
 * kind). Each execs the next, so the pid is the daemon's; the daemon gets
 * the sandbox's HOME, PATH and XDG dirs and `env`. Nothing runs until
 * a first connection or datagram arrives; killed by pid in `cleanUp`.
 */
export async function startActivated(sandbox: Sandbox, sockets: readonly ActivationSocket[], args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
  const datagram = sockets.filter((socket) => socket.datagram === true);
  const stream = sockets.filter((socket) => socket.datagram !== true);
  // systemd-socket-activate hands its child a bare environment: what the daemon needs goes by -E, on the one that starts it.
  const passed = { HOME: sandbox.env.HOME, PATH: sandbox.env.PATH, XDG_CONFIG_HOME: sandbox.env.XDG_CONFIG_HOME, XDG_STATE_HOME: sandbox.env.XDG_STATE_HOME, XDG_RUNTIME_DIR: sandbox.env.XDG_RUNTIME_DIR, ...env };
  const names = [`--fdname=${[...datagram, ...stream].map((socket) => socket.name).join(':')}`, ...Object.entries(passed).map(([name, value]) => `--setenv=${name}=${value ?? ''}`)];
  const command = [process.execPath, DAEMON_BIN, '--socket', sandbox.socket, ...args];
  const inner = stream.length === 0 ? command : [SOCKET_ACTIVATE, ...stream.flatMap((socket) => ['-l', socket.listen]), ...names, ...command];
  const outer = datagram.length === 0 ? inner : [SOCKET_ACTIVATE, '-d', ...datagram.flatMap((socket) => ['-l', socket.listen]), ...(stream.length === 0 ? names : []), ...inner];
  const daemon = new DaemonProcess(outer.slice(1), sandbox.env, outer[0]);
  await listening(daemon, datagram.length > 0 ? datagram.length : stream.length);
  return daemon;
}

/** Resolves once the first systemd-socket-activate has said it listens on `count` sockets ("Listening on … as N."); bounded. */
async function listening(daemon: DaemonProcess, count: number): Promise<void> {
  for (let turn = 0; turn < 750; turn += 1) {
    if ((daemon.stderr.match(/^Listening on .* as \d+\.$/gm) ?? []).length >= count) return;
    if (!daemon.running) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`systemd-socket-activate did not listen on ${count} sockets:\n${daemon.stderr}`);
}
