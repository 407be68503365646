#!/usr/bin/env node
import { runCtl } from '../dist/ctl/main.js';

process.exitCode = await runCtl(process.argv.slice(2));
