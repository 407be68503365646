import type { Socket } from 'node:net';
import { StreamConnection, type BaseStreamOptions } from '@evergreen/stream-core';
import { PipeError } from './pipe-error.js';
import type { PipeServer } from './pipe-server.js';

/** Limits of an accepted connection (a `PipeServer` passes its own). */
export interface PipeConnectionOptions extends Omit<BaseStreamOptions, 'errorClass'> {
  /**
   * Read through shared memory (Node's `onread`), as a `PipeClient` does
   * (default true; see `DuplexStreamOptions.readIntoMemory`); false keeps
   * the socket as accepted, reading into a new Buffer per read.
   */
  readIntoMemory?: boolean;
}

/**
 * A connection accepted by a `PipeServer`: a full `BaseStream` over the
 * accepted `net.Socket`, whose errors are `PipeError`s (and of their kind).
 *
 * Cost: one `net.Socket`, read through shared memory (no Buffer allocated
 * per read).
 */
export class PipeConnection extends StreamConnection {
  constructor(socket: Socket, options: PipeConnectionOptions = {}) {
    const { highWaterMark, maxBufferSize, coalesceBytes, readBudget, readIntoMemory = true } = options;
    super(socket, { highWaterMark, maxBufferSize, coalesceBytes, readBudget, errorClass: PipeError, readIntoMemory });
  }

  /** The server that accepted this connection, or `null` once closed. */
  override get server(): PipeServer | null {
    return super.server as PipeServer | null;
  }
}
