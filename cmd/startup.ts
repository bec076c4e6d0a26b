// What an executable does before a command's modules load (cmd/main.ts): last-resort error
// handlers, and V8's on-disk compile cache, so that from the second run on the bundle is not parsed
// and compiled again. (The Node version is checked before anything, in cmd/fast-path.ts.)
import * as nodeModule from 'node:module';

/**
 * Before a command's modules load: last-resort error handlers (ending with `failureExitCode`: 1, or
 * 2 for kubectl trust, whose 1 means "the policy does not hold"), quiet deprecations, the compile cache.
 */
export function prepareStartup(failureExitCode = 1): void {
  installLastResortHandlers(failureExitCode);
  // Deprecation notices from dependencies (grpc-js naming a TLS server by IP, say) are nothing a
  // user can act on; --debug shows them.
  if (!process.argv.includes('--debug')) process.noDeprecation = true;
  // Cache folder: $NODE_COMPILE_CACHE, else Node's default under the temp folder. A cache that
  // cannot be written is skipped silently by Node; start-up is then just slower. Not on the fast
  // paths (help, usage errors): enabling it costs more than those paths take.
  nodeModule.enableCompileCache?.();
}

// A failure that escapes every handler (a rejected promise inside a dependency, say) still reaches
// the user as one sentence and a hint, never as Node's dump of minified source; --debug shows it all.
function installLastResortHandlers(failureExitCode: number): void {
  const debug = process.argv.includes('--debug');
  const report = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: unexpected failure: ${message.split('\n')[0]}\n`);
    process.stderr.write('hint: run again with --debug and report the output at the project issue tracker\n');
    if (debug && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    process.exit(failureExitCode);
  };
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
}

/**
 * The command is done: exit as soon as what it wrote is flushed, even when a library left a timer or
 * a socket behind (gRPC's connection deadline after a refused pods/exec tunnel, a WebSocket that is
 * still closing), which would otherwise keep the process alive for seconds after the last word.
 */
export function exitWhenFlushed(): void {
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit();
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
