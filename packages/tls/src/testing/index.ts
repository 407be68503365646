/**
 * Test-only helpers for TLS: throw-away certificates made with the `openssl`
 * CLI, for this package's tests and for any package that tests TLS end to
 * end (the daemon). Nothing here is for production use.
 */
export { makeCertificates, opensslVersion } from './certificates.js';
export type { Identity, TestCertificates } from './certificates.js';
