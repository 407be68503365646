import type { Command } from 'commander';
import type { CtlContext } from '../ctl-context.js';
import { serverTable } from '../describe-server.js';
import { tlsServerLines } from '../describe-tls.js';
import { registerServersAdd } from './servers-add.js';
import { registerServersPause } from './servers-pause.js';
import { registerServersResume } from './servers-resume.js';
import { registerServersRm } from './servers-rm.js';
import { registerServersSet } from './servers-set.js';

/** `evergreenctl servers [list] [--json]` and its subcommands add, rm, set, pause, resume. */
export function registerServers(program: Command, ctx: CtlContext): void {
  const servers = program.command('servers').description('list the hosted servers, or change them (add, rm, set, pause, resume)');
  servers
    .command('list', { isDefault: true })
    .description('list the servers with their state, address and counters (the default)')
    .option('--json', 'print the servers as JSON (the daemon\'s ServerInfo objects)')
    .action(async (flags: { json?: boolean }) => {
      const list = await (await ctx.connect()).listServers();
      if (flags.json === true) ctx.printJson(list);
      else ctx.print(list.length === 0 ? 'no servers (add one with: evergreenctl servers add NAME URI)' : [...serverTable(list), ...tlsServerLines(list)]);
    });
  registerServersAdd(servers, ctx);
  registerServersRm(servers, ctx);
  registerServersSet(servers, ctx);
  registerServersPause(servers, ctx);
  registerServersResume(servers, ctx);
}
