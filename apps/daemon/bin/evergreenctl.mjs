#!/usr/bin/env node
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import './ensure-built.mjs';

// Node 22.1+ keeps the compiled code of the modules it loads on disk and
// reuses it on the next run: a CLI is started again and again. The cache goes
// under the user's XDG cache dir unless NODE_COMPILE_CACHE names another; an
// unusable dir only leaves it off (the call never throws). Node 20 has no
// such cache and goes without.
const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE ? undefined : join(cacheHome, 'evergreen', 'compile-cache'));

// The bundle of dist/ctl (scripts/bundle-ctl.mjs): a few files to load instead of dozens.
const { runCtl } = await import('../dist/evergreenctl/main.js');

// A reader that went away (`evergreenctl logs -f | head`) ends the output: exit quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await runCtl(process.argv.slice(2));
