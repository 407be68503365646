import type { Socket } from 'node:net';
import { StreamConnection, type BaseStreamOptions } from '@evergreen/stream-core';
import { PipeError } from './pipe-error.js';
import type { PipeServer } from './pipe-server.js';

/** Limits of an accepted connection (a `PipeServer` passes its own). */
export interface PipeConnectionOptions extends Omit<BaseStreamOptions, 'errorClass'> {}

/**
 * A connection accepted by a `PipeServer`: a full `BaseStream` over the
 * accepted `net.Socket`, whose errors are `PipeError`s (and of their kind).
 *
 * Cost: one `net.Socket`; reads are zero-copy inside one received chunk.
 */
export class PipeConnection extends StreamConnection {
  constructor(socket: Socket, options: PipeConnectionOptions = {}) {
    super(socket, { highWaterMark: options.highWaterMark, maxBufferSize: options.maxBufferSize, errorClass: PipeError });
  }

  /** The server that accepted this connection, or `null` once closed. */
  override get server(): PipeServer | null {
    return super.server as PipeServer | null;
  }
}
