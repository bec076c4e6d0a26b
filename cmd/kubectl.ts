#!/usr/bin/env node
// The entry point for every name at once: the npm package links kubectl-build, kubectl-buildkit,
// kubectl-trust and the kubectl_complete- helpers to this file; the name picks the plugin.
import { runEntry } from './fast-path.ts';

await runEntry(process.argv[1] ?? '', process.argv.slice(2));
