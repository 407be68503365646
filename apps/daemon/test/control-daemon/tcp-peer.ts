import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterTest } from './daemon-process.js';

/** `tcp://HOST:PORT` as connect options (IPv6 hosts in brackets). */
export function tcpAddress(uri: string): { host: string; port: number } {
  const match = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(uri);
  if (match === null) throw new TypeError(`Cannot read the address "${uri}": expected tcp://HOST:PORT`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** A TCP connection to a hosted server (`tcp://…`), destroyed after the test. */
export async function tcpConnect(uri: string): Promise<Socket> {
  const socket = connect(tcpAddress(uri));
  afterTest(() => socket.destroy());
  await once(socket, 'connect');
  return socket;
}

/** Writes `bytes` and resolves the first `bytes.length` bytes read back (rejects if the peer ends before). */
export async function roundTrip(socket: Socket, bytes: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  const done = new Promise<Buffer>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < bytes.length) return;
      socket.off('data', onData).off('end', onEnd);
      resolve(Buffer.concat(chunks).subarray(0, bytes.length));
    };
    const onEnd = () => reject(new Error(`Cannot read the echo: the server ended after ${received} of ${bytes.length} bytes`));
    socket.on('data', onData).once('end', onEnd);
  });
  socket.write(bytes);
  return done;
}

/** Connects, sends `bytes`, and resolves what came back before the connection was closed. */
export async function echoOnce(uri: string, bytes: Buffer): Promise<Buffer> {
  const socket = await tcpConnect(uri);
  try {
    return await roundTrip(socket, bytes);
  } finally {
    socket.destroy();
  }
}
