#!/usr/bin/env node
// Entry point of kubectl-trust (kubectl runs it for `kubectl trust ...`).
import { exitWhenFlushed, prepareStartup } from './startup.ts';

prepareStartup();
await import('./trust-command.ts');
exitWhenFlushed();
