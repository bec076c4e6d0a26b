#!/usr/bin/env node
// Entry point of kubectl-buildkit (kubectl runs it for `kubectl buildkit ...`).
import { exitWhenFlushed, prepareStartup } from './startup.ts';

prepareStartup();
await import('./buildkit-command.ts');
exitWhenFlushed();
