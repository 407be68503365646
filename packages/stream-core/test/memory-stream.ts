import { BaseStream, type BaseStreamOptions, type WriteData } from '../src/index.js';

/**
 * A BaseStream fed by the test itself: the property tests drive the read
 * machinery chunk by chunk, with no OS in between to choose the chunking.
 * Transports over real handles are covered by the compliance suite.
 */
export class MemoryStream extends BaseStream {
  readonly written: WriteData[] = [];
  paused = false;
  destroyed = false;

  constructor(options?: BaseStreamOptions) {
    super(options);
    this._setConnected();
  }

  feed(chunk: Buffer | string): void {
    this._pushData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  end(): void {
    this._pushEnd();
  }
  fail(error: Error): void {
    this._pushError(error);
  }
  /** Where a transport reading through `shared` memory would have the OS read next (`_nextReadMemory`). */
  nextReadMemory(shared: Buffer, flowing: boolean): Uint8Array {
    return this._nextReadMemory(shared, flowing);
  }

  protected _writeChunk(data: WriteData): boolean {
    this.written.push(data);
    return true;
  }
  protected _writableLength(): number {
    return 0;
  }
  protected async _flushWrites(): Promise<void> {}
  protected async _endWrites(): Promise<void> {}
  protected _destroy(): void {
    this.destroyed = true;
  }
  protected _pauseReading(): void {
    this.paused = true;
  }
  protected _resumeReading(): void {
    this.paused = false;
  }
}
