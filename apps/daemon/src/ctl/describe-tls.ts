import type { ServerInfo } from '../protocol/results.js';

/**
 * What `servers` prints under its table about tls:// servers: per server,
 * the certificate (subject, SANs, end of validity and days left) and the
 * handshakes (ok, resumed, failed by reason). Nothing when there are none.
 */
export function tlsServerLines(list: readonly ServerInfo[]): string[] {
  const lines: string[] = [];
  for (const server of list) {
    if (server.tls === undefined) continue;
    const { certificate } = server.tls;
    const left = certificate.daysLeft < 0 ? 'EXPIRED' : `${certificate.daysLeft} days left`;
    lines.push(`${server.name}: ${certificate.subject} [${certificate.subjectAltNames.join(', ')}] until ${new Date(certificate.notAfter).toISOString().slice(0, 10)} (${left})`);
    const handshakes = server.stats.tls;
    if (handshakes !== undefined) {
      const failed = Object.entries(handshakes.failed).map(([reason, count]) => `${reason} ${count}`);
      lines.push(`  handshakes: ${handshakes.ok} ok (${handshakes.resumed} resumed), ${handshakes.inProgress} in progress, failed: ${failed.length === 0 ? 'none' : failed.join(', ')}`);
    }
  }
  return lines.length === 0 ? [] : ['', 'TLS:', ...lines];
}
