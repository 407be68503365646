import { afterAll, beforeAll, describe } from 'vitest';
import { describeStreamTransport } from '@evergreen/stream-core/testing';
import { makeCertificates, opensslVersion, type TestCertificates } from '../src/testing/index.js';
import { tlsHarness } from './tls-harness.js';

describe.skipIf(opensslVersion === undefined)('TLS compliance', () => {
  let certificates: TestCertificates;
  beforeAll(() => {
    certificates = makeCertificates();
  });
  afterAll(() => certificates.remove());

  describeStreamTransport(tlsHarness('TLSv1.3', () => certificates));
  describeStreamTransport(tlsHarness('TLSv1.2', () => certificates));
});
