#!/usr/bin/env node
import module from 'node:module';
import './ensure-built.mjs';

// Node 22.1+ keeps the compiled code of the modules it loads on disk (in
// NODE_COMPILE_CACHE, else a directory under the OS temp dir) and reuses it
// on the next run: a CLI is started again and again. Node 20 has no such
// cache and goes without.
module.enableCompileCache?.();

// The bundle of dist/ctl (scripts/bundle-ctl.mjs): a few files to load instead of dozens.
const { runCtl } = await import('../dist/evergreenctl/main.js');

// A reader that went away (`evergreenctl logs -f | head`) ends the output: exit quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await runCtl(process.argv.slice(2));
