import { describe, expect, it, vi } from 'vitest';
import { KubectlBuildError } from '../pkg/errors/index.ts';
import { runCli, type CliSpec } from './run-cli.ts';

function capture() {
  let text = '';
  let out = '';
  return {
    io: { stdout: { write: (chunk: string) => (out += chunk) }, stderr: { write: (chunk: string) => (text += chunk) } },
    text: () => text,
    stdout: () => out,
  };
}

function specThatThrows(error: unknown): CliSpec {
  return {
    scriptName: 'kubectl build',
    completion: () => ({ flags: [{ name: 'flag', takesValue: true }, { name: 'debug', takesValue: false }] }),
    configure: (parser) =>
      parser.command('$0', false, (command) => command.option('flag', { type: 'string' }), () => {
        throw error;
      }),
  };
}

describe('runCli', () => {
  it('turns an unknown flag into a usage error: exit 2, one sentence and a hint, no stack', async () => {
    const out = capture();
    const code = await runCli(specThatThrows(new Error('not reached')), ['--bogus'], out.io);
    expect(code).toBe(2);
    expect(out.text()).toBe('error: Unknown argument: bogus\nhint: run "kubectl build --help" for usage\n');
  });

  it('prints our error with its hint and exits 1', async () => {
    const out = capture();
    const error = new KubectlBuildError('NOT_FOUND', 'no Dockerfile at ./Dockerfile', { hint: 'pass -f' });
    expect(await runCli(specThatThrows(error), [], out.io)).toBe(1);
    expect(out.text()).toBe('error: no Dockerfile at ./Dockerfile\nhint: pass -f\n');
  });

  it('exits 130 when the user cancelled', async () => {
    const out = capture();
    expect(await runCli(specThatThrows(new KubectlBuildError('CANCELLED', 'cancelled')), [], out.io)).toBe(130);
  });

  it('wraps an unexpected failure without a stack, and shows the stack with --debug', async () => {
    const quiet = capture();
    expect(await runCli(specThatThrows(new TypeError('x is undefined')), [], quiet.io)).toBe(1);
    expect(quiet.text()).toMatch(/^error: unexpected failure: x is undefined\nhint: run again with --debug/);
    expect(quiet.text()).not.toMatch(/\n\s+at /);

    const debug = capture();
    await runCli(specThatThrows(new TypeError('x is undefined')), ['--debug'], debug.io);
    expect(debug.text()).toMatch(/caused by: TypeError: x is undefined\n\s+at /);
  });

  it('answers shell completion requests without running the command', async () => {
    const out = capture();
    expect(await runCli(specThatThrows(new Error('the handler ran')), ['--get-yargs-completions', 'kubectl-build', '--fl'], out.io)).toBe(0);
    expect(out.stdout()).toBe('--flag\n');
  });

  it('answers --help with the flags, without running the command', async () => {
    const out = capture();
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const code = await runCli(specThatThrows(new Error('the handler ran')), ['--help'], out.io);
      expect(code).toBe(0);
      expect(out.text()).toBe('');
      const help = log.mock.calls.flat().join('\n');
      expect(help).toContain('--flag');
      expect(help).toContain('--debug');
    } finally {
      log.mockRestore();
    }
  });
});
