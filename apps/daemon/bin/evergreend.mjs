#!/usr/bin/env node
import './ensure-built.mjs';

const { runDaemon } = await import('../dist/daemon/main.js');
process.exitCode = await runDaemon(process.argv.slice(2));
