// The baseline: a MessagePack-RPC server on raw node:net and msgpackr that
// answers `status` with a map like the daemon's, and nothing else (no
// limits, no validation, no subscriptions). Forked by index.mjs with the
// socket path; sends 'ready' once it listens.
import { serveRpc, status } from './raw-rpc.mjs';

serveRpc(process.argv[2], { status }, () => process.send('ready'));
process.on('message', (message) => message === 'stop' && process.exit(0));
// The orchestrator is gone (even killed): so is this child.
process.on('disconnect', () => process.exit(0));
