#!/usr/bin/env node
// Entry point of kubectl-build (kubectl runs it for `kubectl build ...`; make install's launcher runs it).
import { runEntry } from './fast-path.ts';

await runEntry('kubectl-build', process.argv.slice(2));
