// A one-way transfer whose end the server confirms, shared by the bulk and
// lines benchmarks. The load client writes its bytes as fast as the socket
// takes them (waiting for 'drain' only when Node buffers), then sends FIN;
// the server reads to the end of stream, counting (bytes, lines), and answers
// with its count as one line, then closes.
//
// What is timed: the client's clock, from the connection being up to the
// server's count arriving. The client only copies bytes into the kernel, so
// the rate is the server's reading rate; the connect and the one-line answer
// are the same for both servers and negligible next to the transfer. The
// count is checked, so a server that lost or invented data fails the run.
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

/**
 * Connects to `address`, writes every buffer of `pieces`, ends, and resolves
 * `{ count, seconds }`: the server's count and the time it took. The clock
 * starts at the transport's `connectedEvent` (`'connect'` unless it says
 * otherwise: a TLS socket is ready at `'secureConnect'`).
 */
export async function sendCounted(transport, address, pieces) {
  const socket = transport.connectRaw(address);
  const answer = readToEnd(socket);
  answer.catch(() => {}); // awaited below; a failure while writing surfaces there too
  try {
    await once(socket, transport.connectedEvent ?? 'connect');
    const start = performance.now();
    for (const piece of pieces) if (!socket.write(piece)) await once(socket, 'drain');
    socket.end();
    const count = Number(await answer);
    return { count, seconds: (performance.now() - start) / 1000 };
  } finally {
    socket.destroy();
  }
}

/** Throws unless the server counted what was sent. */
export function checkCount(what, counted, sent) {
  if (counted !== sent) throw new Error(`Cannot trust the round: the server counted ${counted} ${what}, ${sent} were sent`);
}

/**
 * A raw server handler: `start(socket)` attaches the counting and returns a
 * function giving the count, which is written back at the client's FIN.
 */
export function rawCounting(start) {
  return (socket) => {
    const count = start(socket);
    socket.once('end', () => socket.end(`${count()}\n`));
  };
}

/**
 * One of our handlers: `count(conn)` reads to the end of stream and resolves
 * the count, which is written back; the server then flushes and closes.
 */
export function ourCounting(count) {
  return async (conn) => {
    conn.write(`${await count(conn)}\n`);
  };
}

async function readToEnd(socket) {
  const chunks = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  await once(socket, 'end');
  return Buffer.concat(chunks).toString();
}
