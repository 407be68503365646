// relay: 1 GiB sent by the load client through a relay to the sink, which
// counts it and answers with its count at the client's FIN (back through the
// relay: the half-close passes through both ways). Contenders, each in its
// own process and kept for all rounds: the raw Node relay (the baseline),
// evergreend's `forward`, socat and HAProxy. Target: evergreend >= 0.9x the
// raw Node relay's MiB/s. socat and HAProxy are printed for information, and
// skipped (saying so) where they are not installed.
import { sized } from '../transports/options.mjs';
import { startLoad, startNodeServer, stopAll } from './children.mjs';
import { compareProcesses } from './measure.mjs';
import { installed } from './processes.mjs';
import { relays } from './relays.mjs';

const MiB = 1024 * 1024;
const TOTAL_BYTES = sized(1024 * MiB, 128 * MiB);
const ROUNDS = sized(5, 2);
const TARGET = 0.9;
const INSTALL_HINT = 'apt-get install socat haproxy';

/** Runs the relay comparison; resolves the results of the contenders after the baseline. */
export async function run() {
  const missing = relays.filter((relay) => relay.command !== undefined && !installed(relay.command));
  for (const relay of missing) console.log(`relay: ${relay.name} not measured: \`${relay.command}\` is not installed (${INSTALL_HINT})`);
  const started = [];
  try {
    const sink = await startNodeServer('sink');
    started.push(sink.child);
    const loader = await startLoad();
    started.push(loader);
    const contenders = [];
    for (const relay of relays.filter((r) => !missing.includes(r))) {
      const running = await relay.start(sink.port);
      started.push(running);
      // A zero-byte transfer: the relay is up, and passes a FIN and the answer after it.
      await loader.request('send', { port: running.port, bytes: 0 });
      contenders.push({ ...running, key: relay.key, name: relay.name, target: relay.key === 'evergreend' ? TARGET : undefined });
    }
    return await compareProcesses({
      title: `relay ${TOTAL_BYTES / MiB} MiB`,
      unit: 'MiB',
      perUnit: 'MiB',
      rounds: ROUNDS,
      loader,
      op: 'send',
      params: { bytes: TOTAL_BYTES },
      contenders,
    });
  } finally {
    await stopAll(started);
  }
}
