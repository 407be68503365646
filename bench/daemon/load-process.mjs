// The load client's child process: `node --expose-gc load-process.mjs`
// answers each request by running the operation of load.mjs it names.
import { answerRequests } from '../transports/ipc.mjs';
import * as load from './load.mjs';

const handlers = { gc: () => globalThis.gc?.() };
for (const [op, run] of Object.entries(load)) handlers[op] = (params) => run(params);
answerRequests(handlers, { pid: process.pid });
