import { readFileSync } from 'node:fs';
import type { TLSClientSecurity } from '@evergreen/tls';
import { UsageError } from './usage-error.js';

/** The TLS flags of `connect`. */
export interface ConnectTlsFlags {
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
}

/**
 * The `TLSClient` options `connect`'s flags ask for, files read. Verification
 * stays on: there is no flag to turn it off. Throws `UsageError` for a TLS
 * flag on a scheme other than tls, `--cert` without `--key` (or the
 * reverse), and a file that cannot be read.
 */
export function clientTlsOptions(scheme: string, flags: ConnectTlsFlags): TLSClientSecurity {
  const given = (['ca', 'cert', 'key', 'servername'] as const).filter((flag) => flags[flag] !== undefined);
  if (scheme !== 'tls') {
    if (given.length > 0) throw new UsageError(`Cannot use --${given[0]} with ${scheme}://: the TLS flags apply to tls:// only`);
    return {};
  }
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new UsageError('Cannot present a client certificate: --cert and --key go together');
  const options: TLSClientSecurity = {};
  for (const flag of ['ca', 'cert', 'key'] as const) {
    const file = flags[flag];
    if (file === undefined) continue;
    try {
      options[flag] = readFileSync(file);
    } catch (error) {
      throw new UsageError(`Cannot read --${flag} ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (flags.servername !== undefined) options.servername = flags.servername;
  return options;
}
