// The fairness baseline: raw Node doing the daemon's two jobs in one
// process, as evergreend is started (`--socket path`, other flags ignored):
// the control socket's `status` (raw-rpc.mjs) and `servers.add` of a
// `forward` server, a node:net relay piped both ways (half-close passes
// through; an error on either side destroys both). Nothing bounds a turn
// of its event loop but Node's own defaults. Logs the daemon's
// "control socket listening" line once it listens; exits on SIGTERM.
import { connect, createServer } from 'node:net';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { serveRpc, status } from './raw-rpc.mjs';

/** Starts a forward relay to `target` (tcp://host:port) on `listen` (tcp://host:0); resolves its address. */
async function addForward([{ listen, handler }]) {
  const from = new URL(listen);
  const to = new URL(handler.target);
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: to.hostname, port: Number(to.port), allowHalfOpen: true });
    // pipe() returns its destination: an error on either side destroys the other.
    client.pipe(upstream).on('error', () => client.destroy());
    upstream.pipe(client).on('error', () => upstream.destroy());
  });
  server.listen(Number(from.port), from.hostname);
  await once(server, 'listening');
  return { address: `tcp://${server.address().address}:${server.address().port}` };
}

const path = process.argv[process.argv.indexOf('--socket') + 1];
mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
serveRpc(path, { status, 'servers.add': addForward }, () => console.log(JSON.stringify({ msg: 'control socket listening', path })));
process.on('SIGTERM', () => process.exit(0));
