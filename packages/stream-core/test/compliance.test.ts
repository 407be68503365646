import { describeStreamTransport } from '../src/testing/index.js';
import { unixSocketHarness } from './unix-socket-harness.js';

describeStreamTransport(unixSocketHarness);
