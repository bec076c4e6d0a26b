// kubectl build on a real terminal (script(1)), for what only happens on one: the browser login of
// keyless signing, Ctrl-C typed as a user types it.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** kubectl build on a real terminal (script(1)); `output` grows as it prints. */
export function onTerminal(args: string[], env: NodeJS.ProcessEnv) {
  const quoted = [process.execPath, 'dist/kubectl-build.js', ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', `stty cols 200 rows 50; exec ${quoted}`, '/dev/null'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const state = { output: '', exited: false };
  child.stdout.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (status) => {
      state.exited = true;
      resolve(status);
    }),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  exited.finally(() => clearTimeout(killer));
  return {
    state,
    exited,
    /** Typing on the terminal (\x03 is Ctrl-C). */
    type: (text: string) => child.stdin.write(text),
    waitFor: async (pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(state.output);
        if (match) return match;
        if (state.exited || Date.now() > deadline) throw new Error(`${state.exited ? 'exited' : 'timed out'} waiting for ${pattern}; output so far:\n${state.output.slice(-2000)}`);
        await sleep(50);
      }
    },
  };
}
