import { describeStreamPair, openFifo } from '@evergreen/stream-core/testing';
import { PipeError, PipeStream } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';

const directory = temporaryDirectory('pipe-stream-compliance');
let fifos = 0;

describeStreamPair({
  name: 'PipeStream over a FIFO',
  errorClass: PipeError,
  twoWay: false,
  async createPair(options = {}) {
    const { readFd, writeFd } = openFifo(directory.path(`fifo${fifos++}`));
    const reader = new PipeStream(options.reader);
    reader.open(readFd);
    const writer = new PipeStream(options.writer);
    writer.open(writeFd);
    return {
      reader,
      writer,
      async close() {
        writer.close();
        reader.close();
      },
    };
  },
});
