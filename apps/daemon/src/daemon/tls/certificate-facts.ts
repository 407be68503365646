import { X509Certificate } from 'node:crypto';

/** A certificate within this many days of its end is warned about, at start and on every reload. */
export const EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 86_400_000;

/** What `servers` shows of the certificate a server presents. */
export interface CertificateFacts {
  /** The subject, as OpenSSL prints it (`CN=api`; several fields on separate lines joined with ", "). */
  subject: string;
  /** The issuer, likewise. */
  issuer: string;
  /** `subjectAltName` entries as `DNS:api.corp`, `IP Address:10.0.0.1`, `URI:spiffe://…`. */
  subjectAltNames: string[];
  /** End of validity, ms since the epoch. */
  notAfter: number;
  /** Whole days left until `notAfter` (negative once expired), as of when the facts were taken. */
  daysLeft: number;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

/**
 * The facts of the first (leaf) certificate of a PEM chain. Throws
 * `TypeError` when `pem` holds no certificate Node can parse (its message
 * reads after a file name: "no certificate could be parsed (…)"). Cost: one
 * X.509 parse.
 */
export function certificateFacts(pem: string | Buffer, now = Date.now()): CertificateFacts {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new TypeError(`no certificate could be parsed (${(error as Error).message})`, { cause: error });
  }
  const notAfter = Date.parse(certificate.validTo);
  return {
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    subjectAltNames: certificate.subjectAltName === undefined ? [] : certificate.subjectAltName.split(', '),
    notAfter,
    daysLeft: daysLeft(notAfter, now),
    fingerprint256: certificate.fingerprint256,
  };
}

/** Whole days from `now` until `notAfter` (negative once past). */
export function daysLeft(notAfter: number, now = Date.now()): number {
  return Math.floor((notAfter - now) / DAY_MS);
}

/** Whether `facts` call for the expiry warning (expired, or within {@link EXPIRY_WARNING_DAYS}). */
export function expiresSoon(facts: CertificateFacts): boolean {
  return facts.daysLeft < EXPIRY_WARNING_DAYS;
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}
