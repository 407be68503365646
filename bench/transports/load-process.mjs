// The load client's child process: `node --expose-gc load-process.mjs
// <transport> <benchmark>` answers each request by running
// `load[op]({ transport, ...params })` of bench/transports/<benchmark>.mjs.
// The same process and the same raw `node:net` client code drive our server
// and the raw one alike.
import { answerRequests, usage } from './ipc.mjs';
import { transportNamed } from './transports.mjs';

const [transportName, benchmark] = process.argv.slice(2);
const transport = transportNamed(transportName);
const { load } = await import(`./${benchmark}.mjs`);

const handlers = { gc: () => globalThis.gc?.(), usage };
for (const [op, run] of Object.entries(load)) handlers[op] = (params) => run({ transport, ...params });
answerRequests(handlers, null);
