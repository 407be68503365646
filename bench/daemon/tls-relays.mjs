// The TLS terminators the TLS benchmark compares, each started in front of
// the plain sink at 127.0.0.1:`sinkPort` with the certificate and key of
// `identity` (PEM files: `{ certPath, keyPath }`) and listening on 127.0.0.1
// on a port the kernel chose: `start(sinkPort, identity)` -> `{ port, pid,
// stop() }`, as the TCP relays of relays.mjs. Each is configured as its
// users would: TLS settings left at their defaults (the load client pins the
// protocol, suite and group), session tickets on, Nagle off. Where stunnel or
// HAProxy is not installed, `command` names what is missing.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, tlsForwardTo } from './evergreend.mjs';
import { listeningPorts, startProcess, stopProcess } from './processes.mjs';
import { nodeRelay, startHaproxy } from './relays.mjs';
import { freshDir } from './run-dir.mjs';

const LOOPBACK = '127.0.0.1';
/** What stunnel logs (at `debug = notice`) once its configuration is loaded. */
const STUNNEL_CONFIGURED = /Configuration successful/;
/** How often, and how many times, stunnel's listening socket is looked for after it said it is configured. */
const LISTEN_POLL_MS = 20;
const LISTEN_POLLS = 250;

/** The baseline: `tls.createServer` + `pipe()` both ways (servers.mjs `rawTlsRelay`), in a child process. */
export const rawNodeTls = nodeRelay('raw', 'raw Node TLS relay (tls + pipe)', 'raw-tls-relay', ({ keyPath, certPath }) => [keyPath, certPath]);

/** evergreend with one `tls://` server forwarding in plain TCP. */
export const evergreendTls = {
  key: 'evergreend',
  name: 'evergreend tls:// forward',
  async start(sinkPort, identity) {
    const daemon = await startDaemon([tlsForwardTo(sinkPort, identity)], 'evergreend-tls-forward');
    return { port: daemon.ports[0], pid: daemon.pid, stop: daemon.stop };
  },
};

/**
 * stunnel in the foreground, one process (a thread per connection), its
 * config generated in a temporary directory. It binds port 0 without saying
 * which port it got, so the port is read from the kernel (`listeningPorts`).
 * Connections are logged only at warning level: a log line per connection
 * would be a cost the other contenders do not pay.
 */
export const stunnel = {
  key: 'stunnel',
  name: 'stunnel',
  command: 'stunnel',
  async start(sinkPort, { certPath, keyPath }) {
    const config = join(freshDir('stunnel'), 'stunnel.conf');
    writeFileSync(config, stunnelConfig(sinkPort, certPath, keyPath));
    const { child, pid } = await startProcess('stunnel', [config], (line) => (STUNNEL_CONFIGURED.test(line) ? true : undefined));
    try {
      return { port: await listeningPort(pid), pid, stop: () => stopProcess(child) };
    } catch (error) {
      await stopProcess(child);
      throw error;
    }
  },
};

/** HAProxy terminating TLS (`bind … ssl crt`), `mode tcp`, one thread. */
export const haproxyTls = {
  key: 'haproxy',
  name: 'HAProxy (ssl bind, mode tcp, nbthread 1)',
  command: 'haproxy',
  start(sinkPort, { certPath, keyPath }) {
    // HAProxy takes the certificate and its key in one file.
    const pem = join(freshDir('haproxy-crt'), 'server.pem');
    writeFileSync(pem, readBoth(certPath, keyPath), { mode: 0o600 });
    return startHaproxy(sinkPort, `ssl crt ${pem}`);
  },
};

/** Every TLS relay, baseline first, in the order the results are printed. */
export const tlsRelays = [rawNodeTls, evergreendTls, stunnel, haproxyTls];

async function listeningPort(pid) {
  for (let poll = 0; poll < LISTEN_POLLS; poll++) {
    const [port] = listeningPorts(pid);
    if (port !== undefined) return port;
    await sleep(LISTEN_POLL_MS);
  }
  throw new Error(`Cannot find where stunnel (pid ${pid}) listens: no listening socket after ${LISTEN_POLLS * LISTEN_POLL_MS} ms`);
}

function readBoth(...paths) {
  return paths.map((path) => readFileSync(path, 'utf8')).join('');
}

function stunnelConfig(sinkPort, certPath, keyPath) {
  return `foreground = yes
pid =
syslog = no
debug = notice

[relay]
debug = warning
accept = ${LOOPBACK}:0
connect = ${LOOPBACK}:${sinkPort}
cert = ${certPath}
key = ${keyPath}
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
`;
}
