#!/usr/bin/env node
// Entry point of kubectl-buildkit (kubectl runs it for `kubectl buildkit ...`; make install's launcher runs it).
import { runEntry } from './fast-path.ts';

await runEntry('kubectl-buildkit', process.argv.slice(2));
