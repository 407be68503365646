import type { Command } from 'commander';
import { serverLimitsShape } from '../protocol/server-spec.js';
import { tlsFlagOf } from './tls-flags.js';

/** A limit of a server, as `servers add` and `servers set` take it. */
type LimitKey = keyof typeof serverLimitsShape;

/** The flag of each limit; its help text is the schema's own description. */
const LIMIT_FLAGS: Readonly<Record<LimitKey, string>> = {
  maxConnections: '--max-connections <n>',
  maxPerSource: '--max-per-source <n>',
  idleTimeoutMs: '--idle-timeout-ms <ms>',
  allow: '--allow <cidr>',
  deny: '--deny <cidr>',
  drainMs: '--drain-ms <ms>',
  highWaterMark: '--high-water-mark <bytes>',
  maxBufferSize: '--max-buffer-size <bytes>',
  recvBufferSize: '--recv-buffer-size <bytes>',
};

/** The limits `servers set` can change on a running server (the update schema's). */
export const UPDATABLE_LIMITS: readonly LimitKey[] = ['maxConnections', 'maxPerSource', 'idleTimeoutMs', 'allow', 'deny', 'drainMs'];
/** Every limit, as `servers add` takes them. */
export const ALL_LIMITS = Object.keys(LIMIT_FLAGS) as LimitKey[];

/** The handler flags of `servers add`, by their path in the spec. */
const HANDLER_FLAGS: Readonly<Record<string, string>> = {
  'handler.type': '--handler',
  'handler.target': '--target',
  'handler.connectTimeoutMs': '--connect-timeout-ms',
  'handler.path': '--module',
  'handler.export': '--export',
};

const isList = (key: LimitKey): boolean => key === 'allow' || key === 'deny';

/**
 * Adds a flag per limit in `keys` to `command`. `--allow`/`--deny` may be
 * repeated or given comma-separated; with `resettable`, the value `default`
 * means "back to the default" (sent as null).
 */
export function addLimitFlags(command: Command, keys: readonly LimitKey[], resettable: boolean): void {
  for (const key of keys) {
    const help = serverLimitsShape[key].description ?? key;
    const more = `${isList(key) ? ' (repeat or separate with commas)' : ''}${resettable ? '; "default" resets it' : ''}`;
    if (isList(key)) command.option(LIMIT_FLAGS[key], help + more, collectList);
    else command.option(LIMIT_FLAGS[key], help + more);
  }
}

/** The limits set by flags, numbers parsed (text that is no number is kept for the schema to reject). */
export function limitsFromFlags(flags: Record<string, unknown>, keys: readonly LimitKey[], resettable: boolean): Record<string, unknown> {
  const limits: Record<string, unknown> = {};
  for (const key of keys) {
    const raw = flags[key] as string | string[] | undefined;
    if (raw === undefined) continue;
    if (resettable && (raw === 'default' || (Array.isArray(raw) && raw.length === 1 && raw[0] === 'default'))) limits[key] = null;
    else limits[key] = Array.isArray(raw) ? raw : numberOrText(raw);
  }
  return limits;
}

/** `"42"` → 42; anything else as it is. */
export function numberOrText(text: string): number | string {
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

/** The flag (or argument) that sets `path` of a server spec or update. */
export function serverFlagOf(path: string): string | undefined {
  if (path === 'name') return 'NAME';
  if (path === 'listen') return 'LISTEN';
  if (path in HANDLER_FLAGS) return HANDLER_FLAGS[path];
  if (path === 'tls') return '--cert, --key';
  if (path.startsWith('tls.') || path.startsWith('handler.tls.')) return tlsFlagOf(path);
  return path in LIMIT_FLAGS ? LIMIT_FLAGS[path as LimitKey].split(' ')[0] : undefined;
}

function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((each) => each.trim()).filter((each) => each !== '')];
}
