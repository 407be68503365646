// connection rate: 50 load loops each making connection after connection to
// an echo server — connect, send one line, wait for it to come back, end,
// wait for the close — for 5 s. Contenders, each in its own process and kept
// for all rounds: a raw `node:net` echo server (the baseline) and evergreend
// hosting an `echo` server. Target: evergreend >= 0.9x raw connections/s.
import { sized } from '../transports/options.mjs';
import { startLoad, startNodeServer, stopAll } from './children.mjs';
import { echoServer, startDaemon } from './evergreend.mjs';
import { compareProcesses } from './measure.mjs';

const CONCURRENCY = 50;
const DURATION_MS = sized(5000, 1000);
const ROUNDS = sized(5, 2);
const TARGET = 0.9;

/** Runs the connection-rate comparison; resolves evergreend's result. */
export async function run() {
  const started = [];
  try {
    const loader = await startLoad();
    started.push(loader);
    const raw = await startNodeServer('raw-echo');
    started.push(raw.child);
    const daemon = await startDaemon([echoServer()], 'evergreend-echo');
    started.push(daemon);
    return await compareProcesses({
      title: `connection rate, ${CONCURRENCY} loops x ${DURATION_MS / 1000} s (connect, one line echoed, close)`,
      unit: 'connections',
      perUnit: 'connection',
      rounds: ROUNDS,
      loader,
      op: 'connectionRate',
      params: { concurrency: CONCURRENCY, durationMs: DURATION_MS },
      contenders: [
        { key: 'raw', name: 'raw node:net echo', port: raw.port, pid: raw.pid },
        { key: 'evergreend', name: 'evergreend echo', port: daemon.ports[0], pid: daemon.pid, target: TARGET },
      ],
    });
  } finally {
    await stopAll(started);
  }
}
