#!/usr/bin/env node
// The `gradscope` command; the code is in dist/cli.js (npm run build).
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
