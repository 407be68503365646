import { randomBytes } from 'node:crypto';
import type { StreamTransportHarness } from '@evergreen/stream-core/testing';
import { PipeClient, PipeError, PipeServer } from '../src/index.js';

/**
 * Drives the stream-core compliance suite over real pipes; `bindAddress`
 * makes each server's fresh path (a socket file in a temporary directory, or
 * a Linux abstract name).
 */
export function pipeHarness(name: string, bindAddress: () => string): StreamTransportHarness<string> {
  return {
    name,
    errorClass: PipeError,
    createServer: (handler, options) => new PipeServer(handler, options),
    bindAddress,
    connectAddress: (server) => (server as PipeServer).pipename,
    createClient: (options) => new PipeClient(options),
    connect: (client, path) => (client as PipeClient).connect(path),
  };
}

/** A fresh Linux abstract name, unique to this process and call. */
export function abstractName(): string {
  return `\0evergreen-pipe-test-${process.pid}-${randomBytes(6).toString('hex')}`;
}
