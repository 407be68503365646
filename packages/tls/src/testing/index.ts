/**
 * Test-only helpers for TLS: throw-away certificates made with the `openssl`
 * CLI, and `openssl s_client`/`s_server` as peers nobody here wrote, for
 * this package's tests and for any package that tests TLS end to end (the
 * daemon). Nothing here is for production use.
 */
export { makeCertificates, opensslVersion } from './certificates.js';
export type { Identity, TestCertificates } from './certificates.js';
export { killOpenSSL, openssl, sServer } from './openssl-peer.js';
export type { OpenSSLProcess } from './openssl-peer.js';
