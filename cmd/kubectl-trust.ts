#!/usr/bin/env node
// Entry point of kubectl-trust (kubectl runs it for `kubectl trust ...`; make install's launcher runs it).
import { runEntry } from './fast-path.ts';

await runEntry('kubectl-trust', process.argv.slice(2));
