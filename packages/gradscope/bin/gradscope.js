#!/usr/bin/env node
// The `gradscope` command (serve, export): @gradscope/server's CLI.
import { main } from '@gradscope/server/cli';

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
