// A lean MessagePack-RPC client for the benchmarks (node:net + msgpackr, the
// same for the daemon and the raw baseline, so the client's cost is the
// same on both sides): pipelined calls matched by msgid. Requests made in
// the same tick go out in one write, so the client's syscalls do not cap
// the rate it can drive.
import { connect } from 'node:net';
import { once } from 'node:events';
import { Packr, Unpackr } from 'msgpackr';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** Calls over one Unix socket connection; any number in flight. */
export class RpcConnection {
  #socket;
  #pending = new Map();
  #nextMsgid = 1;
  #leftover;
  #outgoing = [];

  constructor(socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => this.#receive(chunk));
    socket.on('error', (error) => this.#failAll(error));
    socket.on('close', () => this.#failAll(new Error('Cannot get a response: the connection closed')));
  }

  /** Connects to the control socket at `path`. */
  static async connect(path) {
    const socket = connect(path);
    await once(socket, 'connect');
    socket.setNoDelay?.(true);
    return new RpcConnection(socket);
  }

  /** Resolves the result of `method`, rejects with the error object of an error reply. */
  call(method, params = []) {
    const msgid = this.#nextMsgid++;
    return new Promise((resolve, reject) => {
      this.#pending.set(msgid, { resolve, reject });
      if (this.#outgoing.push(packr.pack([0, msgid, method, params])) === 1) process.nextTick(() => this.#writeOutgoing());
    });
  }

  close() {
    this.#socket.destroy();
  }

  #writeOutgoing() {
    const outgoing = this.#outgoing;
    this.#outgoing = [];
    this.#socket.write(outgoing.length === 1 ? outgoing[0] : Buffer.concat(outgoing));
  }

  #receive(chunk) {
    const bytes = this.#leftover === undefined ? chunk : Buffer.concat([this.#leftover, chunk]);
    this.#leftover = undefined;
    try {
      unpackr.unpackMultiple(bytes, (message) => this.#settle(message));
    } catch (error) {
      if (!error.incomplete) throw error;
      this.#leftover = bytes.subarray(error.lastPosition);
    }
  }

  #settle([type, msgid, error, result]) {
    if (type !== 1) return;
    const call = this.#pending.get(msgid);
    this.#pending.delete(msgid);
    if (error === null) call?.resolve(result);
    else call?.reject(Object.assign(new Error(error.message), error));
  }

  #failAll(error) {
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
  }
}
