// tls: evergreend terminating TLS (a `tls://` server forwarding in plain TCP
// to the sink) against the raw Node TLS relay (`tls.createServer` + `pipe()`
// both ways, the baseline), stunnel and HAProxy (`ssl` bind), all in one
// run: every contender is started once, with the same ECDSA P-256
// certificate (made at run time with the openssl CLI, removed at the end),
// and kept for all three comparisons, each interleaved round by round:
//   - relay: 1 GiB from the load client through the relay to the sink and
//     its count back (as relay.mjs, over TLS), MiB/s and CPU per MiB;
//   - full handshakes/s and resumed handshakes/s (TLS 1.3 session tickets):
//     connect, handshake, end, the sink's answer back, close, CPU per
//     connection.
// The load client pins TLS 1.3, TLS_AES_128_GCM_SHA256 and X25519, and fails
// a round whose connection negotiated anything else. Targets: evergreend >=
// 0.9x the raw Node relay in all three; stunnel and HAProxy are printed for
// information, and skipped (saying so) where they are not installed.
import { makeCertificates, opensslVersion } from '@evergreen/tls/testing';
import { sized } from '../transports/options.mjs';
import { startLoad, startNodeServer, stopAll } from './children.mjs';
import { compareProcesses } from './measure.mjs';
import { installed } from './processes.mjs';
import { tlsRelays } from './tls-relays.mjs';

const MiB = 1024 * 1024;
const TOTAL_BYTES = sized(1024 * MiB, 128 * MiB);
const RELAY_ROUNDS = sized(5, 2);
const HANDSHAKE_ROUNDS = sized(5, 2);
/** Handshake loops in the load client: enough to keep a relay's core busy while each waits for its round trips. */
const CONCURRENCY = 16;
const HANDSHAKE_DURATION_MS = sized(3000, 500);
const TARGET = 0.9;
const INSTALL_HINT = 'apt-get install stunnel4 haproxy';
/** The name the certificate is issued for (a DNS SAN of `server`) and the load client sends as SNI. */
const SERVERNAME = 'localhost';
/** How long the check of each contender before the rounds makes connections (one full handshake, then resumed ones). */
const CHECK_MS = 200;

/** Runs the three TLS comparisons; resolves the results of the contenders after the baseline. */
export async function run() {
  if (opensslVersion === undefined) {
    console.log('tls: not measured: the openssl CLI (which makes the certificate) is not installed');
    return [];
  }
  const missing = tlsRelays.filter((relay) => relay.command !== undefined && !installed(relay.command));
  for (const relay of missing) console.log(`tls: ${relay.name} not measured: \`${relay.command}\` is not installed (${INSTALL_HINT})`);
  const certificates = makeCertificates();
  const started = [];
  try {
    const trust = { ca: certificates.ca.cert, servername: SERVERNAME };
    const sink = await startNodeServer('sink');
    started.push(sink.child);
    const loader = await startLoad();
    started.push(loader);
    const { node, openssl } = await loader.request('versions');
    console.log(`tls: load client Node ${node} (OpenSSL ${openssl}); TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, ECDSA P-256 certificate`);
    const contenders = [];
    for (const relay of tlsRelays.filter((r) => !missing.includes(r))) {
      const running = await relay.start(sink.port, certificates.server);
      started.push(running);
      // Handshakes and a zero-byte transfer: the relay is up, negotiates the pinned parameters, resumes, and passes a FIN and the answer.
      await loader.request('handshakeRate', { port: running.port, concurrency: 1, durationMs: CHECK_MS, resume: true, tls: trust });
      await loader.request('send', { port: running.port, bytes: 0, tls: trust });
      contenders.push({ ...running, key: relay.key, name: relay.name, target: relay.key === 'evergreend' ? TARGET : undefined });
    }
    const handshakes = (resume) => ({
      title: `tls ${resume ? 'resumed' : 'full'} handshakes, ${CONCURRENCY} loops x ${HANDSHAKE_DURATION_MS / 1000} s`,
      unit: 'connections',
      perUnit: 'connection',
      rounds: HANDSHAKE_ROUNDS,
      op: 'handshakeRate',
      params: { concurrency: CONCURRENCY, durationMs: HANDSHAKE_DURATION_MS, resume, tls: trust },
    });
    const comparisons = [
      { title: `tls relay ${TOTAL_BYTES / MiB} MiB`, unit: 'MiB', perUnit: 'MiB', rounds: RELAY_ROUNDS, op: 'send', params: { bytes: TOTAL_BYTES, tls: trust } },
      handshakes(false),
      handshakes(true),
    ];
    const results = [];
    for (const comparison of comparisons) results.push(...(await compareProcesses({ ...comparison, loader, contenders })));
    return results;
  } finally {
    await stopAll(started);
    certificates.remove();
  }
}
