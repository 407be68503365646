import type { Command } from 'commander';
import { methodParams } from '../../protocol/methods.js';
import type { TlsReloadResult } from '../../protocol/tls-results.js';
import { checkOptions } from '../check-options.js';
import type { CtlContext } from '../ctl-context.js';
import { ExitCode } from '../exit-codes.js';

/** `evergreenctl tls reload [NAME] [--json]`: re-reads tls:// servers' credential files and swaps those that changed. */
export function registerTls(program: Command, ctx: CtlContext): void {
  const tls = program.command('tls').description('TLS credentials of tls:// servers and of forwards to tls:// targets (reload)');
  tls
    .command('reload')
    .description('read the certificate, key and CA files of a tls:// server or a forward to a tls:// target (default: every one) again and swap them in without rebinding; exit 1 when one failed (it keeps its old ones)')
    .argument('[name]', 'the server (default: every one with TLS credentials)')
    .option('--json', 'print the results as JSON: { servers: [{ name, credentials, status, hash, message? }] }')
    .action(async (name: string | undefined, flags: { json?: boolean }) => {
      checkOptions(methodParams['tls.reload'], name === undefined ? {} : { name }, 'Cannot reload the TLS credentials', (path) => (path === 'name' ? 'NAME' : undefined));
      const result = await (await ctx.connect()).reloadTls(name);
      if (flags.json === true) ctx.printJson(result);
      else ctx.print(result.servers.length === 0 ? 'no TLS credentials to reload' : describeTlsReload(result.servers));
      if (result.servers.some((each) => each.status === 'failed')) ctx.exitWith(ExitCode.REFUSED);
    });
}

/** One line per server and side: `api: reloaded (sha256 1a2b3c4d…)`, `out (forward): unchanged (…)`, `api: failed, the old credentials stay: …`. */
export function describeTlsReload(results: readonly TlsReloadResult[]): string[] {
  return results.map((each) => {
    const who = each.credentials === 'upstream' ? `${each.name} (forward)` : each.name;
    if (each.status === 'failed') return `  ${who}: failed, the old credentials stay: ${each.message ?? ''}`;
    return `  ${who}: ${each.status}${each.hash === '' ? '' : ` (sha256 ${each.hash.slice(0, 16)})`}`;
  });
}
