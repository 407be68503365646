#!/usr/bin/env node
import { runDaemon } from '../dist/daemon/main.js';

process.exitCode = await runDaemon(process.argv.slice(2));
