import { resolve } from 'node:path';
import type { Command } from 'commander';

/**
 * The TLS flags of `servers add`: the listening side's `tls` block (for a
 * tls:// listen) and a forward's `handler.tls` (for a tls:// target), by
 * their path in the spec. File flags are resolved against the directory
 * evergreenctl runs in, so the daemon gets absolute paths.
 */
const SERVER_TLS_FLAGS: Readonly<Record<string, [flag: string, help: string]>> = {
  'tls.cert': ['--cert <file>', 'tls:// listen: the certificate chain (PEM) the server presents'],
  'tls.key': ['--key <file>', 'tls:// listen: its private key (PEM; mode 0600)'],
  'tls.ca': ['--ca <file>', 'tls:// listen: CA certificates client certificates must chain to'],
  'tls.clientAuth': ['--client-auth [mode]', 'tls:// listen: ask clients for a certificate: require (the default of the bare flag), optional or none'],
  'tls.allow.cn': ['--allow-cn <name>', 'tls:// listen: take client certificates with this CN (repeat or separate with commas)'],
  'tls.allow.dns': ['--allow-dns <name>', 'tls:// listen: take client certificates with this DNS SAN (repeatable)'],
  'tls.allow.uri': ['--allow-uri <uri>', 'tls:// listen: take client certificates with this URI SAN, "*" for one segment (repeatable)'],
  'tls.alpn': ['--alpn <protocol>', 'tls:// listen: ALPN protocols spoken, most preferred first (repeatable)'],
  'tls.minVersion': ['--min-version <version>', 'tls:// listen: the lowest TLS version taken: TLSv1.2 (default) or TLSv1.3'],
  'tls.handshakeTimeoutMs': ['--handshake-timeout-ms <ms>', 'tls:// listen: how long a client may take over its handshake (default 10000)'],
};

const FORWARD_TLS_FLAGS: Readonly<Record<string, [flag: string, help: string]>> = {
  'handler.tls.ca': ['--target-ca <file>', 'forward to tls://: CA certificates the upstream must chain to (default: the system\'s)'],
  'handler.tls.cert': ['--target-cert <file>', 'forward to tls://: a client certificate to present (mTLS); needs --target-key'],
  'handler.tls.key': ['--target-key <file>', 'forward to tls://: its private key'],
  'handler.tls.servername': ['--target-servername <name>', 'forward to tls://: the name sent (SNI) and checked (default: the target\'s host)'],
  'handler.tls.verify.dns': ['--verify-dns <name>', 'forward to tls://: a DNS SAN the upstream\'s certificate must carry (repeatable: one of them)'],
  'handler.tls.verify.uri': ['--verify-uri <uri>', 'forward to tls://: a URI SAN it must carry (repeatable: one of them)'],
  'handler.tls.alpn': ['--target-alpn <protocol>', 'forward to tls://: ALPN protocols offered (repeatable)'],
};

const FILES = new Set(['tls.cert', 'tls.key', 'tls.ca', 'handler.tls.ca', 'handler.tls.cert', 'handler.tls.key']);
const LISTS = new Set(['tls.allow.cn', 'tls.allow.dns', 'tls.allow.uri', 'tls.alpn', 'handler.tls.verify.dns', 'handler.tls.verify.uri', 'handler.tls.alpn']);
const NUMBERS = new Set(['tls.handshakeTimeoutMs']);

/** Adds the TLS flags of a server and of a forward to `command`. */
export function addTlsFlags(command: Command): void {
  for (const [path, [flag, help]] of Object.entries({ ...SERVER_TLS_FLAGS, ...FORWARD_TLS_FLAGS })) {
    if (LISTS.has(path)) command.option(flag, help, collect);
    else command.option(flag, help);
  }
}

/**
 * The `tls` and `handler.tls` blocks the flags describe (only the fields
 * given; absent when no flag of the block is), written into `spec`.
 * Files are made absolute against `cwd`; numbers that are not numbers are
 * kept for the schema to name.
 */
export function applyTlsFlags(spec: Record<string, unknown>, flags: Record<string, unknown>, cwd = process.cwd()): void {
  for (const [path, [flag]] of Object.entries({ ...SERVER_TLS_FLAGS, ...FORWARD_TLS_FLAGS })) {
    let value = flags[keyOf(flag)];
    if (value === undefined) continue;
    if (FILES.has(path)) value = resolve(cwd, value as string);
    else if (NUMBERS.has(path)) value = Number.isFinite(Number(value)) && String(value).trim() !== '' ? Number(value) : value;
    else if (path === 'tls.clientAuth' && value === true) value = 'require';
    setPath(spec, path.split('.'), value);
  }
}

/** The flag that sets `path` of a spec's TLS blocks (`tls.allow.cn` → `--allow-cn`), or undefined. */
export function tlsFlagOf(path: string): string | undefined {
  return (SERVER_TLS_FLAGS[path] ?? FORWARD_TLS_FLAGS[path])?.[0].split(' ')[0];
}

/** commander's key of a flag: `--allow-cn <name>` → `allowCn`. */
function keyOf(flag: string): string {
  return flag.split(' ')[0]!.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path.at(-1)!] = value;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((each) => each.trim()).filter((each) => each !== '')];
}
