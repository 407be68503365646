import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { z } from 'zod';
import { PipeClient } from '@evergreen/pipe';
import { ControlServer, type ControlServerOptions } from '../src/daemon/control/control-server.js';
import { controlMethod } from '../src/daemon/control/control-method.js';
import type { ControlLog } from '../src/daemon/control/control-log.js';
import { REPLY_LIMITS } from '../src/protocol/limits.js';
import { MessageDecoder } from '../src/protocol/message-decoder.js';
import { encodeMessage } from '../src/protocol/message-encoder.js';
import { RpcError, RpcErrorCode } from '../src/protocol/rpc-error.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `cleanup` after the current test, even when it fails. */
export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** A fresh private directory for this test (removed after it), and a socket path in it. */
export function socketPath(): string {
  const root = mkdtempSync(join(tmpdir(), 'evergreen-control-'));
  onCleanup(() => rmSync(root, { recursive: true, force: true }));
  return join(root, 'run', 'control.sock');
}

/** A promise and its resolver, for a handler the test releases. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A log that records every call. */
export function recordingLog(): ControlLog & { entries: { level: string; details: object; message: string }[] } {
  const entries: { level: string; details: object; message: string }[] = [];
  return {
    entries,
    warn: (details, message) => entries.push({ level: 'warn', details, message }),
    debug: (details, message) => entries.push({ level: 'debug', details, message }),
  };
}

/** What the test method table lets a test see and steer. */
export interface TestControls {
  gates: Map<number, { promise: Promise<void>; open(): void }>;
  started: number;
  handled: number;
}

/** A tiny method table for the tests. */
export function testMethods(controls: TestControls): ControlServerOptions['methods'] {
  const gateFor = (id: number) => {
    let entry = controls.gates.get(id);
    if (entry === undefined) controls.gates.set(id, (entry = gate()));
    return entry;
  };
  return {
    echo: controlMethod(z.object({ value: z.unknown() }), ({ value }) => ({ value })),
    big: controlMethod(z.object({ bytes: z.number().int().min(0).max(1 << 20) }), ({ bytes }) => {
      controls.handled++;
      return 'x'.repeat(bytes);
    }),
    wait: controlMethod(z.object({ id: z.number().int() }), async ({ id }) => {
      controls.started++;
      await gateFor(id).promise;
      return { id };
    }),
    fail: controlMethod(z.object({}), () => {
      throw new Error('secret detail');
    }),
    refuse: controlMethod(z.object({}), () => {
      throw new RpcError(RpcErrorCode.REFUSED, 'Cannot do it: refused', { why: 'test' });
    }),
    typed: controlMethod(z.strictObject({ servers: z.array(z.object({ listen: z.string(), mode: z.enum(['a', 'b']).optional() })) }), ({ servers }) => servers.length),
  };
}

/** A listening control server with the test methods, closed after the test. */
export async function startServer(options: Partial<ControlServerOptions> = {}): Promise<{ server: ControlServer; path: string; controls: TestControls }> {
  const path = options.path ?? socketPath();
  const controls: TestControls = { gates: new Map(), started: 0, handled: 0 };
  const server = new ControlServer({
    path,
    methods: testMethods(controls),
    info: { name: 'evergreend', version: '0.0.0-test', protocol: 1 },
    topics: ['servers', 'log'],
    ...options,
  });
  await server.listen();
  onCleanup(async () => {
    for (const entry of controls.gates.values()) entry.open();
    await server.close();
  });
  return { server, path, controls };
}

/** A raw socket to the server that writes bytes and reads decoded messages. */
export class RawClient {
  readonly conn: PipeClient;
  readonly #decoder = new MessageDecoder(REPLY_LIMITS);

  private constructor(conn: PipeClient) {
    this.conn = conn;
  }

  static async connect(path: string, options: { highWaterMark?: number } = {}): Promise<RawClient> {
    const conn = new PipeClient(options);
    await conn.connect(path);
    onCleanup(() => conn.close());
    return new RawClient(conn);
  }

  send(message: unknown[]): void {
    this.conn.write(encodeMessage(message));
  }

  /** The next message, or `undefined` at end of stream. */
  async next(): Promise<unknown[] | undefined> {
    for (;;) {
      const message = this.#decoder.next();
      if (message !== undefined) return message;
      const chunk = await this.conn.readBytes(64 * 1024, { partial: true });
      if (chunk.length === 0) return undefined;
      this.#decoder.push(chunk);
    }
  }

  /** Every message until end of stream (bounded: at most `max`). */
  async rest(max = 100_000): Promise<unknown[][]> {
    const messages: unknown[][] = [];
    for (let i = 0; i < max; i++) {
      const message = await this.next();
      if (message === undefined) return messages;
      messages.push(message);
    }
    throw new Error(`more than ${max} messages`);
  }
}

/** Polls `condition` once per event-loop turn, at most `turns` times. */
export async function until(condition: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error('the condition never held');
}
