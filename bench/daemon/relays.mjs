// The TCP relays the relay benchmarks compare, each started in front of the
// sink at 127.0.0.1:`sinkPort` and listening on 127.0.0.1 on a port the
// kernel chose: `start(sinkPort)` -> `{ port, pid, stop() }`. `pid` is the
// process whose /proc counters are the relay's cost. socat and HAProxy are
// started and stopped here; where one is not installed, `command` names what
// is missing and the benchmark prints so.
import net from 'node:net';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeServer } from './children.mjs';
import { forwardTo, startDaemon } from './evergreend.mjs';
import { startProcess, stopProcess } from './processes.mjs';
import { freshDir } from './run-dir.mjs';

const LOOPBACK = '127.0.0.1';
/** socat's buffer per transfer step (`-b 65536`: a socket read's worth, as the Node relays move). */
const SOCAT_BUFFER_BYTES = 65536;
/** socat logs where it listens at `-d -d`: `N listening on AF=2 127.0.0.1:41234`. */
const SOCAT_LISTENING = /listening on AF=2 127\.0\.0\.1:(\d+)/;
/** What HAProxy says at `-V` once its config is applied and it is about to serve. */
const HAPROXY_READY = /^Using \w+\(\) as the polling mechanism/;
/** The file descriptor an inherited listening socket has in HAProxy (`bind fd@3`). */
const HAPROXY_LISTEN_FD = 3;

/** The baseline: the raw Node relay of servers.mjs, in a child process. */
export const rawNode = nodeRelay('raw', 'raw Node relay (net + pipe)', 'raw-relay');

/** The daemon's relay code in a bare Node process (servers.mjs `bareRelay`), for information. */
export const bareRelay = nodeRelay('bare', 'relay.ts in a bare process', 'bare-relay');

/** evergreend with one `forward` server. */
export const evergreend = {
  key: 'evergreend',
  name: 'evergreend forward',
  async start(sinkPort) {
    const daemon = await startDaemon([forwardTo(sinkPort)], 'evergreend-forward');
    return { port: daemon.ports[0], pid: daemon.pid, stop: daemon.stop };
  },
};

/** socat, one forked process per connection (its CPU and faults are counted once it is waited for). */
export const socat = {
  key: 'socat',
  name: `socat -b ${SOCAT_BUFFER_BYTES}`,
  command: 'socat',
  async start(sinkPort) {
    const listen = `TCP-LISTEN:0,bind=${LOOPBACK},reuseaddr,fork`;
    const args = ['-d', '-d', '-b', String(SOCAT_BUFFER_BYTES), listen, `TCP:${LOOPBACK}:${sinkPort}`];
    const { child, pid, ready } = await startProcess('socat', args, (line) => SOCAT_LISTENING.exec(line)?.[1]);
    return { port: Number(ready), pid, stop: () => stopProcess(child) };
  },
};

/** HAProxy in `mode tcp`, one thread (`startHaproxy`). */
export const haproxy = {
  key: 'haproxy',
  name: 'HAProxy (mode tcp, nbthread 1)',
  command: 'haproxy',
  start: (sinkPort) => startHaproxy(sinkPort),
};

/**
 * Starts HAProxy in `mode tcp`, one thread, relaying to 127.0.0.1:`sinkPort`,
 * its config generated in a temporary directory; `bindOptions` follow the
 * bind address (`ssl crt …` terminates TLS). HAProxy cannot bind port 0, so
 * it is handed a socket this process bound to port 0 (`bind fd@3`): the port
 * is the kernel's choice and never raced for. Resolves `{ port, pid, stop() }`.
 */
export async function startHaproxy(sinkPort, bindOptions = '') {
  const config = join(freshDir('haproxy'), 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(sinkPort, bindOptions));
  const listener = net.createServer();
  listener.listen({ host: LOOPBACK, port: 0 });
  await once(listener, 'listening');
  const { port } = listener.address();
  try {
    const stdio = ['ignore', 'pipe', 'pipe', listener._handle.fd];
    const { child, pid } = await startProcess('haproxy', ['-V', '-db', '-f', config], (line) => (HAPROXY_READY.test(line) ? true : undefined), { stdio });
    return { port, pid, stop: () => stopProcess(child) };
  } finally {
    listener.close(); // HAProxy holds its own copy of the socket
  }
}

/** Every relay, baseline first, in the order the results are printed. */
export const relays = [rawNode, evergreend, bareRelay, socat, haproxy];

/**
 * A relay that is `server` of servers.mjs, in a child process of its own;
 * `start(sinkPort, …rest)` passes the sink's port and `moreArgs(…rest)` as
 * the server's arguments.
 */
export function nodeRelay(key, name, server, moreArgs = () => []) {
  return {
    key,
    name,
    async start(sinkPort, ...rest) {
      const { child, port, pid } = await startNodeServer(server, [String(sinkPort), ...moreArgs(...rest)]);
      return { port, pid, stop: () => child.stop() };
    },
  };
}

function haproxyConfig(sinkPort, bindOptions) {
  return `global
  nbthread 1

defaults
  mode tcp
  timeout connect 10s
  timeout client 120s
  timeout server 120s

listen relay
  bind fd@${HAPROXY_LISTEN_FD} ${bindOptions}
  server sink ${LOOPBACK}:${sinkPort}
`;
}
