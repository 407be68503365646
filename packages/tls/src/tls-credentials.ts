import { constants, randomBytes } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { TLSError } from './tls-error.js';

/** PEM text or its bytes (`fs.readFileSync`'s result as it comes). */
export type PEM = string | Buffer;

/** What a TLS endpoint proves itself with, and whom it trusts. */
export interface TLSCredentials {
  /** The private key (PEM), encrypted when `passphrase` is given. */
  key: PEM | PEM[];
  /** The certificate chain (PEM): the leaf first, then intermediates. */
  cert: PEM | PEM[];
  /** CA certificates (PEM) that peers' certificates must chain to; default: Node's root store. */
  ca?: PEM | PEM[];
  /** Certificate revocation lists (PEM). */
  crl?: PEM | PEM[];
  /** Decrypts `key`. */
  passphrase?: string;
}

/** TLS versions a side may allow. Older ones are refused outright. */
export type TLSVersion = 'TLSv1.2' | 'TLSv1.3';

/** The protocol policy of a server or client. */
export interface TLSPolicy {
  /** Lowest TLS version allowed (default `'TLSv1.2'`). */
  minVersion?: TLSVersion;
  /** Highest TLS version allowed (default `'TLSv1.3'`). */
  maxVersion?: TLSVersion;
  /** OpenSSL cipher list (TLS 1.2 suites and TLS 1.3 `TLS_*` suites); default Node's. */
  ciphers?: string;
}

const VERSIONS: readonly string[] = ['TLSv1.2', 'TLSv1.3'];

/**
 * The server side's fixed choices: renegotiation refused (Node allows a
 * client to renegotiate, which is a CPU lever and the root of old
 * injection bugs), no TLS below 1.2.
 */
export const SERVER_SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION;

/** Size Node's `ticketKeys` must have: 16 bytes name, 16 HMAC, 16 AES. */
export const TICKET_KEYS_BYTES = 48;

/** Fresh random session ticket keys. */
export function newTicketKeys(): Buffer {
  return randomBytes(TICKET_KEYS_BYTES);
}

/**
 * A session-id context of our own (OpenSSL refuses to resume a session
 * made under another): in one process every `tls.Server` shares Node's
 * default, so a server that checks client certificates could take a
 * session another server issued. 32 hex characters: OpenSSL's limit is 32 bytes.
 */
export function newSessionIdContext(): string {
  return randomBytes(16).toString('hex');
}

/** Throws `TypeError`/`RangeError` for a policy that is not one. */
export function checkPolicy(policy: TLSPolicy, action: string): void {
  for (const key of ['minVersion', 'maxVersion'] as const) {
    const value = policy[key];
    if (value !== undefined && !VERSIONS.includes(value)) throw new RangeError(`${action}: ${key} "${String(value)}" is not one of ${VERSIONS.join(', ')}`);
  }
  if (policy.ciphers !== undefined && typeof policy.ciphers !== 'string') throw new TypeError(`${action}: ciphers must be a string`);
}

/** Node's context options for `policy`, with our defaults. */
export function policyOptions(policy: TLSPolicy): Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'> {
  const options: Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'> = { minVersion: policy.minVersion ?? 'TLSv1.2' };
  // Absent keys stay absent: Node treats an explicit undefined differently from a missing one in places.
  if (policy.maxVersion !== undefined) options.maxVersion = policy.maxVersion;
  if (policy.ciphers !== undefined) options.ciphers = policy.ciphers;
  return options;
}

/** Node's context options for `credentials`, only the keys given. */
export function credentialOptions(credentials: Partial<TLSCredentials>): SecureContextOptions {
  const options: SecureContextOptions = {};
  for (const key of ['key', 'cert', 'ca', 'crl', 'passphrase'] as const) {
    if (credentials[key] !== undefined) (options as Record<string, unknown>)[key] = credentials[key];
  }
  return options;
}

/**
 * Throws unless `credentials` make a working context with `policy`: a key
 * that does not match its certificate, a wrong passphrase, PEM that does not
 * parse. A `TypeError` for a missing key or certificate; a `TLSError` with
 * Node's error as `cause` for the rest. Cost: one `createSecureContext`
 * (parses the PEM, checks the key against the certificate).
 */
export function checkCredentials(credentials: TLSCredentials, policy: TLSPolicy, action: string): SecureContextOptions {
  if (typeof credentials !== 'object' || credentials === null) throw new TypeError(`${action}: expected { key, cert, ca?, crl?, passphrase? }`);
  if (credentials.key === undefined || credentials.cert === undefined) throw new TypeError(`${action}: a key and a cert are required`);
  const options = { ...credentialOptions(credentials), ...policyOptions(policy), secureOptions: SERVER_SECURE_OPTIONS };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new TLSError(`${action}: ${(error as Error).message}`, { cause: error });
  }
  return options;
}
