import { describe, expect, it } from 'vitest';
import { describeStreamTransport } from '@evergreen/stream-core/testing';
import { PipeServer } from '../src/index.js';
import { abstractName, pipeHarness } from './pipe-harness.js';
import { temporaryDirectory } from './helpers.js';

const directory = temporaryDirectory('pipe-compliance');
let sockets = 0;

describeStreamTransport(pipeHarness('pipe over Unix socket files', () => directory.path(`s${sockets++}.sock`)));

if (process.platform === 'linux') {
  describeStreamTransport(pipeHarness('pipe over Linux abstract names', abstractName));
} else {
  describe('pipe on a platform without abstract names', () => {
    it('bind rejects an abstract name with a TypeError', async () => {
      await expect(new PipeServer(() => {}).bind(abstractName())).rejects.toThrow(TypeError);
    });
  });
}
