// A Node server of the daemon benchmarks in a child process of its own:
// `node server-process.mjs <name> [args…]` starts `<name>` of servers.mjs and
// reports `{ port, pid }` when it listens (the pid lets the orchestrator read
// its CPU time, page faults and RSS from /proc like any other contender's).
// Requests: `connections` (how many are open), `exit`.
import { answerRequests } from '../transports/ipc.mjs';
import { startServer } from './servers.mjs';

const [name, ...args] = process.argv.slice(2);
const { port, connections } = await startServer(name, args);
answerRequests({ connections }, { port, pid: process.pid });
