import { describeStreamTransport } from '@evergreen/stream-core/testing';
import { tcpHarness } from './tcp-harness.js';

describeStreamTransport(tcpHarness);
