import { isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { IncompleteReadError, toHostPort, type AddressInput, type DatagramSocket, type DatagramTransport } from '@evergreen/stream-core';
import { StdinStream, StdoutStream } from '@evergreen/tty';

/** The largest UDP payload (65 535 - 8 - 20 bytes): a longer line cannot be one datagram. */
const MAX_DATAGRAM_BYTES = 65_507;

/**
 * netcat over a datagram transport: each line of stdin (its newline kept;
 * a last line without one as it is) goes to `target` as one datagram, and
 * every datagram received is written to stdout. After stdin ends, replies
 * are awaited for `waitMs`, then it resolves. Rejects with a bind, send or
 * receive error, or for a line longer than a datagram can carry.
 * Cost: one socket bound to an ephemeral port (loopback for a loopback target).
 */
export async function datagramCat(transport: DatagramTransport, target: AddressInput, waitMs: number): Promise<void> {
  const socket = await transport.bind(localAddressFor(target));
  const stdin = new StdinStream();
  const stdout = new StdoutStream();
  const done = new AbortController();
  const replies = printReplies(socket, stdout, done.signal);
  try {
    await Promise.race([sendLines(stdin, socket, target).then(() => sleep(waitMs)), replies]);
  } finally {
    done.abort();
    await replies.catch(() => undefined);
    socket.close();
    stdin.close();
    await stdout.flush();
  }
}

async function sendLines(stdin: StdinStream, socket: DatagramSocket, target: AddressInput): Promise<void> {
  for (;;) {
    let line: Buffer;
    try {
      line = await stdin.readUntil('\n', { maxBytes: MAX_DATAGRAM_BYTES });
    } catch (error) {
      if (!(error instanceof IncompleteReadError)) throw error;
      line = error.partial;
      if (line.length > 0) await socket.send(line, target);
      return;
    }
    if (line.length === 0) return;
    await socket.send(line, target);
  }
}

/** Writes each datagram received to stdout until `signal` aborts; rejects on a receive or write failure. */
async function printReplies(socket: DatagramSocket, stdout: StdoutStream, signal: AbortSignal): Promise<void> {
  try {
    for (;;) {
      const [data] = await socket.receive({ signal });
      if (!stdout.write(data)) await stdout.flush();
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/** Where to bind to reach `target`: its own loopback address when it is one, else the wildcard of its family, port 0. */
function localAddressFor(target: AddressInput): { host: string; port: number } {
  const bare = toHostPort(target).host;
  if (bare === '::1' || bare.startsWith('127.')) return { host: bare, port: 0 };
  return { host: isIPv6(bare) ? '::' : '0.0.0.0', port: 0 };
}
