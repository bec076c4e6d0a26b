#!/usr/bin/env node
// Entry point of kubectl-build (kubectl runs it for `kubectl build`).
import { exitWhenFlushed, prepareStartup } from './startup.ts';

prepareStartup();
await import('./build-command.ts');
exitWhenFlushed();
