import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { decodeMultiStream, encode } from '@msgpack/msgpack';

/**
 * A control client written from docs/control.md alone, on `node:net` and
 * `@msgpack/msgpack` (none of the daemon's code, not msgpackr): requests
 * `[0, msgid, method, params]`, responses `[1, msgid, error, result]` matched
 * by msgid in whatever order they come, notifications `[2, method, params]`
 * kept in arrival order.
 */

/** A response's error object, as the docs define it. */
export interface WireError {
  code: number;
  message: string;
  data?: unknown;
}

/** A response: `error` nil on success, else the error object (then `result` is nil). */
export interface Reply {
  error: WireError | null;
  result: unknown;
}

/** The error a `call` rejects with: the daemon's error object as it came. */
export class ReplyError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(error: WireError) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }
}

export class SpecClient {
  readonly socket: Socket;
  /** Every notification received, in order. */
  readonly notifications: unknown[][] = [];
  /** Every message received, in order (responses and notifications). */
  readonly received: unknown[][] = [];
  /** Resolves when the daemon has ended or closed the connection (never rejects). */
  readonly ended: Promise<void>;
  #nextMsgid = 1;
  readonly #pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  #onMessage: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.ended = this.#readLoop();
  }

  /** Connects to the control socket at `path`. */
  static async connect(path: string): Promise<SpecClient> {
    const socket = connect(path);
    await once(socket, 'connect');
    return new SpecClient(socket);
  }

  /** Sends a request and resolves its response (an error reply resolves too); rejects when the connection ends first. */
  request(method: string, params: unknown[] = []): Promise<Reply> {
    const msgid = this.#nextMsgid++;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new Error(`Cannot call "${method}": the connection is closed`));
        return;
      }
      this.#pending.set(msgid, { resolve, reject });
      this.socket.write(encode([0, msgid, method, params]));
    });
  }

  /** Calls a method with its options map (none: `[]`); rejects with a `ReplyError` for an error reply. */
  async call(method: string, options?: Record<string, unknown>): Promise<unknown> {
    const reply = await this.request(method, options === undefined ? [] : [options]);
    if (reply.error !== null) throw new ReplyError(reply.error);
    return reply.result;
  }

  /** Resolves once a notification for which `matches` holds has arrived (bounded: rejects when the connection ends first). */
  async notification(matches: (message: unknown[]) => boolean): Promise<unknown[]> {
    for (;;) {
      const found = this.notifications.find(matches);
      if (found !== undefined) return found;
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error('Cannot wait for the notification: the connection ended');
      await new Promise<void>((resolve) => (this.#onMessage = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  async #readLoop(): Promise<void> {
    try {
      for await (const message of decodeMultiStream(this.socket)) this.#receive(message as unknown[]);
    } catch {
      // A reset or a decode error ends the stream like an end of stream does.
    } finally {
      const wake = this.#onMessage;
      this.#onMessage = undefined;
      this.socket.destroy();
      wake?.();
      for (const call of this.#pending.values()) call.reject(new Error('Cannot get the response: the connection ended first'));
      this.#pending.clear();
    }
  }

  #receive(message: unknown[]): void {
    this.received.push(message);
    if (message[0] === 1) {
      const call = this.#pending.get(message[1] as number);
      this.#pending.delete(message[1] as number);
      call?.resolve({ error: (message[2] as WireError | null) ?? null, result: message[3] });
    } else {
      this.notifications.push(message);
    }
    const wake = this.#onMessage;
    this.#onMessage = undefined;
    wake?.();
  }
}
