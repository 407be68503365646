#!/usr/bin/env node
import './ensure-built.mjs';

const { runCtl } = await import('../dist/ctl/main.js');

// A reader that went away (`evergreenctl logs -f | head`) ends the output: exit quietly, as Unix tools do.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
process.exitCode = await runCtl(process.argv.slice(2));
