import { describeStreamPair, fifoPairHarness } from '@evergreen/stream-core/testing';
import { PipeError, PipeStream } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';

const directory = temporaryDirectory('pipe-stream-compliance');

describeStreamPair(
  fifoPairHarness('PipeStream over a FIFO', PipeError, directory.root, (fd, _readable, options) => {
    const stream = new PipeStream(options);
    stream.open(fd);
    return stream;
  }),
);
